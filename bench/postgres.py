"""PostgreSQL benchmarks (issue 18), on a throw-away cluster of this
machine (scripts/pg-tmp through tests/integration/ltpg.py: Debian's server,
fsync on, Unix socket), each figure next to a reference measured in the
same run:

- pg_lookup: GET /v1/units/{code} on one node on PostgreSQL against the
  same look-ups on one node on SQLite, the same registry imported into each
  (the generated units), both with 8 HTTP threads, wrk alternating between
  them; goal ratio >= 0.8.
  The same again with the reply cache off (lookup_cache_entries = 0), for
  what a look-up costs in the database itself (informational).
- pg_exchange: accepted packages/s on one node on PostgreSQL (8 HTTP
  threads: they wait on the server's round trips) (bench/xload.c:
  20 senders of 100 KB packages to 10 recipients each, 20 receivers long-polling,
  fetching, acknowledging) against pgbench's simple-update transactions/s
  on the same cluster with as many clients (the engine's commit ceiling
  here), before and after the load; goal ratio >= 0.5. Also what one
  package costs: the node's CPU, the server's CPU, its WAL bytes and
  transactions (docs/operations.md works out the national volume from
  them).
- pg_nodes: three nodes on one database and one data_dir against one node,
  the same load both times (three xload clients, each with its own six
  senders and six receivers, fan-out 5), on this machine's cores; goal
  ratio >= 0.9."""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

import exchange
from benchlib import ROOT, BenchError, Daemon, children_of, log, lt_env, wrk, write_paths
from lookup import combine
from report import result

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import ltpg  # noqa: E402

NODES = 3
# A node's HTTP threads wait on the server's round trips (libpq is
# synchronous), so a node on PostgreSQL wants more of them than cores:
# docs/operations.md recommends 8, and the exchange benchmarks use that.
PG_THREADS = 8
GROUP_SENDERS, GROUP_RECEIVERS, GROUP_FANOUT = 6, 6, 5


def pg_tool(name):
    for d in sorted(os.listdir("/usr/lib/postgresql"), reverse=True) if os.path.isdir("/usr/lib/postgresql") else []:
        p = os.path.join("/usr/lib/postgresql", d, "bin", name)
        if os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if not p:
        raise BenchError("%s is not installed (Debian's postgresql: scripts/deps)" % name)
    return p


class Cluster:
    """One throw-away cluster for every PostgreSQL benchmark of the run."""

    def __init__(self):
        log("postgres: starting a throw-away cluster (scripts/pg-tmp)")
        self.c = ltpg.Cluster()

    def new_database(self):
        return self.c.new_database()

    @staticmethod
    def dbname(uri):
        return uri.split("?")[0].rsplit("/", 1)[-1]

    def sql(self, statement, uri):
        return self.c.psql(statement, dbname=self.dbname(uri)).strip()

    def cpu_seconds(self):
        """CPU seconds of the whole server: the postmaster, its children
        that ended (cutime, cstime) and those that run."""
        try:
            with open(os.path.join(self.c.dir, "data", "postmaster.pid")) as f:
                pm = int(f.readline())
            with open("/proc/%d/stat" % pm) as f:
                v = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return 0.0
        tck = os.sysconf("SC_CLK_TCK")
        total = sum(int(x) for x in v[11:15]) / tck
        for child in children_of(pm):
            try:
                with open("/proc/%d/stat" % child) as f:
                    w = f.read().rsplit(")", 1)[1].split()
                total += (int(w[11]) + int(w[12])) / tck
            except (OSError, ValueError, IndexError):
                pass
        return total

    def counters(self, uri):
        """(WAL position in bytes, transactions committed in the database)."""
        out = self.sql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, xact_commit FROM "
                       "pg_stat_database WHERE datname = current_database()", uri)
        wal, commits = out.split("|")
        return int(wal), int(commits)

    def pgbench(self, uri, clients, seconds):
        """pgbench's simple-update transactions/s (a new pgbench database of
        scale 10 the first time)."""
        host, db = self.c.host, self.dbname(uri)
        base = ["-h", host, "-U", "lt"]
        if not getattr(self, "_bench_ready", {}).get(db):
            p = subprocess.run([pg_tool("pgbench"), "-i", "-q", "-s", "10"] + base + [db], capture_output=True,
                               text=True)
            if p.returncode != 0:
                raise BenchError("pgbench -i: " + p.stderr[-2000:])
            self._bench_ready = {db: True}
        p = subprocess.run([pg_tool("pgbench"), "-n", "-b", "simple-update", "-c", str(clients), "-j", "2", "-T",
                            str(seconds)] + base + [db], capture_output=True, text=True)
        m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout)
        if p.returncode != 0 or not m:
            raise BenchError("pgbench: %s %s" % (p.stdout[-1000:], p.stderr[-1000:]))
        return float(m.group(1))

    def stop(self):
        self.c.stop()


def cli(env, *args):
    return exchange.cli(env, *args)


# ---------------------------------------------------------------- look-ups


def imported(tmp, name, db, csv_path):
    """A registry at db with level 1 and the generated units."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    env = lt_env(d, db)
    t = time.monotonic()
    cli(env, "init")
    cli(env, "import", csv_path)
    log("pg_lookup: %s imported in %.1f s" % (name, time.monotonic() - t))
    return d


def lookup(ctx, cluster):
    paths = ["/v1/units/" + c for c in ctx.sample_codes]
    paths_file = write_paths(os.path.join(ctx.tmp, "pg-lookup.paths"), paths)
    dirs = {"sqlite": (imported(ctx.tmp, "pgl-sqlite", os.path.join(ctx.tmp, "pgl-sqlite.db"), ctx.csv),
                       os.path.join(ctx.tmp, "pgl-sqlite.db"))}
    uri = cluster.new_database()
    dirs["postgres"] = (imported(ctx.tmp, "pgl-postgres", uri, ctx.csv), uri)
    threads = max(ctx.threads, PG_THREADS)  # both nodes alike, as a PostgreSQL node is run
    out, details = [], {"sample_codes": len(paths), "daemon_threads": threads,
                        "wrk": "64 connections, 2 threads, %d s per round" % ctx.seconds}
    for cache, label in ((None, "cached"), (0, "uncached")):
        daemons = {}
        try:
            for k, (d, db) in dirs.items():
                dm = Daemon(d, db, threads, "lienthongd-pgl-%s-%s" % (k, label))
                if cache is not None:
                    dm.env["LIENTHONG_LOOKUP_CACHE_ENTRIES"] = str(cache)
                daemons[k] = dm.start()
            for k, dm in daemons.items():
                wrk(dm.url(), paths_file, 2, server=dm)  # warm-up
            runs = {k: [] for k in daemons}
            for i in range(ctx.rounds):
                order = list(daemons) if i % 2 == 0 else list(reversed(list(daemons)))
                for k in order:
                    r = wrk(daemons[k].url(), paths_file, ctx.seconds, server=daemons[k])
                    runs[k].append(r)
                    log("pg_lookup %s round %d: %-8s %8.0f req/s  p99 %.2f ms" % (label, i + 1, k, r["rps"],
                                                                                 r["p99_us"] / 1000.0))
        finally:
            for dm in daemons.values():
                dm.stop()
        pg, sq = combine(runs["postgres"]), combine(runs["sqlite"])
        details[label] = {"postgres": pg, "sqlite": sq}
        if cache is None:
            out.append(result("pg_lookup_rps", pg["rps"], "req/s", "the same look-ups on one node on SQLite",
                              sq["rps"], "ratio >= 0.8", lambda v, r: r >= 0.8,
                              note="GET /v1/units/{code}, %d random codes of the same imported registry, wrk 64 "
                                   "connections, the reply cache on (the default); p99 %.2f ms vs %.2f ms"
                                   % (len(paths), pg["p99_ms"], sq["p99_ms"])))
        else:
            out.append(result("pg_lookup_uncached_rps", pg["rps"], "req/s",
                              "the same look-ups on SQLite, reply cache off too", sq["rps"], None, None,
                              note="lookup_cache_entries = 0: every look-up reads the database; server CPU per "
                                   "request %.0f us (PostgreSQL node, without the server's own) vs %.0f us"
                                   % (pg["cpu_us_per_request"], sq["cpu_us_per_request"])))
    return out, details


# ---------------------------------------------------------------- packages


def pg_hub(cluster, tmp, name):
    return exchange.Hub(tmp, name, db=cluster.new_database())


def exchange_run(ctx, cluster):
    rnd = random.Random(18)
    xload = exchange.build_xload(ctx.tmp)
    per_sender = max(1, ctx.xchg_packages // exchange.SENDERS)
    hub = pg_hub(cluster, ctx.tmp, "pgx")
    plan = exchange.Plan(hub, rnd)
    manifest, setup = plan.write_load("pkgs", per_sender, rnd)
    clients = exchange.SENDERS
    ref_db = cluster.new_database()
    tps = [cluster.pgbench(ref_db, clients, max(3, ctx.seconds))]
    log("pg_exchange: pgbench simple-update, %d clients: %.0f tps" % (clients, tps[0]))
    daemon = Daemon(hub.dir, hub.db, max(ctx.threads, PG_THREADS), "lienthongd-pgx").start()
    try:
        wal0, commits0 = cluster.counters(hub.db)
        pg_cpu0 = cluster.cpu_seconds()
        r = exchange.run_xload(xload, daemon, manifest, ctx.tmp, "xload-pg")
        pg_cpu = cluster.cpu_seconds() - pg_cpu0
        wal1, commits1 = cluster.counters(hub.db)
        exchange.check(r, "pg_exchange")
    finally:
        daemon.stop()
    tps.append(cluster.pgbench(ref_db, clients, max(3, ctx.seconds)))
    log("pg_exchange: %d accepted in %.1f s; pgbench after: %.0f tps" % (r["accepted"], r["last_accept_s"], tps[1]))
    n = r["accepted"]
    accepted_ps = n / r["last_accept_s"]
    ref = sum(tps) / len(tps)
    cost = {"node_cpu_ms": 1000.0 * r["daemon_cpu_s"] / n, "server_cpu_ms": 1000.0 * pg_cpu / n,
            "wal_kb": (wal1 - wal0) / 1024.0 / n, "transactions": (commits1 - commits0) / n,
            "body_kb": setup["mean_package_bytes"] / 1024.0, "deliveries": exchange.FANOUT,
            "note": "per accepted package, with its %d deliveries fetched and acknowledged and the receivers' "
                    "polls" % exchange.FANOUT}
    details = dict(setup, daemon_threads=max(ctx.threads, PG_THREADS), pgbench_tps=tps, accepted_per_s=accepted_ps,
                   deliveries_per_s=r["acked"] / r["last_ack_s"],
                   per_package=cost, xload={k: r[k] for k in ("accepted", "acked", "last_accept_s", "last_ack_s",
                                                              "inbox_polls", "fetched", "send", "e2e")})
    if not ctx.keep:
        shutil.rmtree(hub.dir, ignore_errors=True)
    results = [
        result("pg_exchange_accepted_pps", accepted_ps, "packages/s",
               "pgbench simple-update on the same cluster, %d clients" % clients, ref, "ratio >= 0.5",
               lambda v, x: x >= 0.5, reference_unit="transactions/s",
               note="%d packages of %.0f KB to %d recipients from %d systems while %d systems received"
                    % (n, setup["mean_package_bytes"] / 1024.0, exchange.FANOUT, exchange.SENDERS,
                       exchange.RECEIVERS)),
        result("pg_exchange_node_cpu_per_package", cost["node_cpu_ms"], "ms", "the server's CPU per package",
               cost["server_cpu_ms"], None, None,
               note="per accepted package with its %d deliveries; the server also wrote %.1f KB of WAL and "
                    "committed %.2f transactions per package" % (exchange.FANOUT, cost["wal_kb"],
                                                                 cost["transactions"])),
    ]
    return results, details


# ---------------------------------------------------------------- several nodes


def group_manifests(hub, groups, tokens, per_sender, rnd, att, name, number):
    """One xload manifest per group: its senders send to its own receivers
    only, so each client can tell when its deliveries are all in."""
    out = []
    pdir = os.path.join(hub.dir, name)
    os.makedirs(pdir, exist_ok=True)
    for g, (senders, receivers) in enumerate(groups):
        lines = []
        for _ in range(per_sender):
            for lane, s in enumerate(senders):
                path = os.path.join(pdir, "%d-%d.xml" % (g, number))
                exchange.write_package(path, s, rnd.sample(receivers, GROUP_FANOUT), number, rnd, att)
                lines.append("S %d %s %s" % (lane, tokens[s], path))
                number += 1
        lines += ["R %s" % tokens[r] for r in receivers] + ["W 30", "D 60", "L 120"]
        m = os.path.join(hub.dir, "%s-%d.manifest" % (name, g))
        with open(m, "w") as f:
            f.write("\n".join(lines) + "\n")
        out.append(m)
    return out, number


def load(xload, urls, manifests, tmp, tag):
    """The clients at once, client k against urls[k]; accepted packages/s
    over the whole (the last client's last accept)."""
    procs = []
    for k, (url, m) in enumerate(zip(urls, manifests)):
        of = open(os.path.join(tmp, "%s-%d.json" % (tag, k)), "w")
        ef = open(os.path.join(tmp, "%s-%d.err" % (tag, k)), "w")
        procs.append((subprocess.Popen([xload, url, m], stdout=of, stderr=ef), of, ef))
    rs = []
    for k, (p, of, ef) in enumerate(procs):
        p.wait()
        of.close()
        ef.close()
        if p.returncode != 0:
            with open(ef.name, errors="replace") as f:
                raise BenchError("xload exited %d: %s" % (p.returncode, f.read()[-2000:]))
        with open(of.name) as f:
            r = json.load(f)
        exchange.check(r, tag)
        rs.append(r)
    n = sum(r["accepted"] for r in rs)
    return {"accepted": n, "seconds": max(r["last_accept_s"] for r in rs),
            "acked": sum(r["acked"] for r in rs), "ack_seconds": max(r["last_ack_s"] for r in rs)}


def nodes(ctx, cluster):
    rnd = random.Random(33)
    xload = exchange.build_xload(ctx.tmp)
    hub = pg_hub(cluster, ctx.tmp, "pgn")
    codes = hub.level1_codes()
    size = GROUP_SENDERS + GROUP_RECEIVERS
    if len(codes) < NODES * size:
        raise BenchError("only %d active level-1 codes in the demo registry" % len(codes))
    picked = rnd.sample(codes, NODES * size)
    tokens = {c: hub.add_system("bench %s" % c, c) for c in picked}
    groups = [(picked[g * size:g * size + GROUP_SENDERS], picked[g * size + GROUP_SENDERS:(g + 1) * size])
              for g in range(NODES)]
    att = exchange.attachment_size(groups[0][0][0], groups[0][1][:GROUP_FANOUT], exchange.PACKAGE_BYTES)
    per_sender = max(1, ctx.xchg_packages // (NODES * GROUP_SENDERS))
    daemons = []
    runs = {"one": [], "three": []}
    number = 1
    try:
        daemons = [Daemon(hub.dir, hub.db, max(ctx.threads, PG_THREADS), "lienthongd-node%d" % k).start()
                   for k in range(NODES)]
        for i in range(max(1, ctx.rounds)):
            for how in (("one", "three") if i % 2 == 0 else ("three", "one")):
                manifests, number = group_manifests(hub, groups, tokens, per_sender, rnd, att, "r%d%s" % (i, how),
                                                    number)
                urls = [daemons[0].url()] * NODES if how == "one" else [d.url() for d in daemons]
                r = load(xload, urls, manifests, ctx.tmp, "pgn-%d-%s" % (i, how))
                r["per_s"] = r["accepted"] / r["seconds"]
                runs[how].append(r)
                log("pg_nodes round %d: %s node(s): %d accepted in %.1f s, %.1f packages/s"
                    % (i + 1, how, r["accepted"], r["seconds"], r["per_s"]))
    finally:
        for d in daemons:
            d.stop()
    if not ctx.keep:
        shutil.rmtree(hub.dir, ignore_errors=True)

    def rate(rs):
        return sum(r["accepted"] for r in rs) / sum(r["seconds"] for r in rs)

    one, three = rate(runs["one"]), rate(runs["three"])
    details = {"groups": NODES, "senders_per_group": GROUP_SENDERS, "receivers_per_group": GROUP_RECEIVERS,
               "fanout": GROUP_FANOUT, "packages_per_run": per_sender * NODES * GROUP_SENDERS,
               "daemon_threads": max(ctx.threads, PG_THREADS), "runs": runs}
    return [result("pg_nodes_accepted_pps", three, "packages/s", "the same load on one node", one,
                   "ratio >= 0.9", lambda v, x: x >= 0.9,
                   note="%d clients, each its own %d senders and %d receivers (fan-out %d), against three nodes "
                        "on one database and one data_dir, or all against one of them; %d cores"
                        % (NODES, GROUP_SENDERS, GROUP_RECEIVERS, GROUP_FANOUT, os.cpu_count()))], details


# ---------------------------------------------------------------- entry


def run(ctx, wanted):
    """Runs the wanted PostgreSQL benchmarks on one cluster; returns
    {name: (results, details)}."""
    for tool in ("initdb", "pg_ctl", "pgbench", "psql"):
        pg_tool(tool)
    cluster = Cluster()
    out = {}
    try:
        if "pg_lookup" in wanted:
            log("== pg_lookup")
            out["pg_lookup"] = lookup(ctx, cluster)
        if "pg_exchange" in wanted:
            log("== pg_exchange")
            out["pg_exchange"] = exchange_run(ctx, cluster)
        if "pg_nodes" in wanted:
            log("== pg_nodes")
            out["pg_nodes"] = nodes(ctx, cluster)
    finally:
        cluster.stop()
    return out
