"""Exchange benchmark (issue 8): bench/xload.c, a libcurl-multi client, runs
20 sending systems, each sending its own 100 KB packages to 10 recipients
one after the other on its own connection, while 20 receiving systems
keep a long poll of their inboxes pending (GET /v1/inbox?wait=30&after=) and
fetch each package and acknowledge it `done` on a second connection. Reported:
accepted packages/s, deliveries/s, end-to-end latency (the sender's 201 ->
the recipient's long-poll reply that lists it; and -> its fetch complete),
the daemon's peak RSS, and accepted/s next
to the disk's own durable-commit ceiling measured in the same run
(bench/commit_ceiling.c: SQLite WAL, synchronous=FULL, single-row commits,
before and after the load). Also the national volume of the seed documents
as per-second rates, next to what this node sustained.

The hub is a fresh `lienthong init --demo` registry in the run's temporary
directory; the 40 systems are registered on 40 level-1 codes with `lienthong
system add`. Packages come from tests/integration/ltpkg.py, written to files
before the load so the client only reads them."""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import perf_profile
from benchlib import BENCH, CLI, ROOT, BenchError, Daemon, log, lt_env
from report import result

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import ltpkg  # noqa: E402

PACKAGE_BYTES = 100 * 1024
# Our functions whose inclusive share the profile reports: the upload and
# its checks, the body's fsyncs, the signature verdict (policy flag), the
# wait for the group commit (sends and acknowledgements), the committer's
# own work (write_batch, on its thread), and the receivers' requests.
FOCUS = ("lt_upload_feed", "lt_upload_finish", "place_body", "judge_signature", "lt__commit_job", "write_batch",
         "h_document_ack", "h_document_get", "h_inbox")
SENDERS, RECEIVERS, FANOUT = 20, 20, 10

# Seed document 002 (Ministry of Information and Communications, March 2022):
# 463,910 electronic documents sent and received over the national document
# axis in March 2022 (111,456 sent, 352,454 received), and on average over
# 1.5 million transactions a day on the national data integration and
# sharing platform (NDXP).
NATIONAL = {"month": "March 2022", "days": 31, "documents": 463910, "sent": 111456, "received": 352454,
            "platform_transactions_per_day": 1500000}
WORKING_HOURS = 8 * 23  # 23 working days of 8 hours in March 2022


def national_rates():
    s = NATIONAL["days"] * 86400.0
    return {"documents_per_s": NATIONAL["documents"] / s, "sent_per_s": NATIONAL["sent"] / s,
            "received_per_s": NATIONAL["received"] / s,
            "sent_per_s_working_hours": NATIONAL["sent"] / (WORKING_HOURS * 3600.0),
            "received_per_s_working_hours": NATIONAL["received"] / (WORKING_HOURS * 3600.0),
            "platform_transactions_per_s": NATIONAL["platform_transactions_per_day"] / 86400.0}


# ---------------------------------------------------------------- helpers shared with bench/signatures.py


def build(tmp, name, extra_flags=()):
    """Compiles bench/NAME.c into tmp/NAME."""
    exe = os.path.join(tmp, name)
    if os.path.exists(exe):
        return exe
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", "-std=c17", "-o", exe, os.path.join(BENCH, name + ".c")] + list(extra_flags)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("cannot build bench/%s.c: %s" % (name, p.stderr))
    return exe


def build_xload(tmp):
    p = subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl"], capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("pkg-config finds no libcurl (Debian: libcurl4-openssl-dev): " + p.stderr.strip())
    return build(tmp, "xload", p.stdout.split())


def cli(env, *args, input=None):
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, text=True, input=input)
    if p.returncode != 0:
        raise BenchError("lienthong %s exited %d: %s" % (" ".join(args[:2]), p.returncode, p.stderr.strip()))
    return p.stdout


class Hub:
    """A fresh registry (`lienthong init --demo`) with its data directory,
    under tmp/name, in an SQLite file there or in db (an empty PostgreSQL
    database's URI); the daemon runs on it with Daemon(hub.dir, hub.db, ...)."""

    def __init__(self, tmp, name, db=None):
        self.dir = os.path.join(tmp, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.db = db or os.path.join(self.dir, "lienthong.db")
        self.env = lt_env(self.dir, self.db)
        cli(self.env, "init", "--demo")

    def level1_codes(self):
        """Active level-1 codes (no parent), from `lienthong export`."""
        import csv
        import io
        rows = csv.DictReader(io.StringIO(cli(self.env, "export")))
        return sorted(r["code"] for r in rows if not r["parent"])

    def add_system(self, name, code):
        return json.loads(cli(self.env, "system", "add", "--name", name, "--code", code, "--json"))["token"]

    def admin_token(self):
        return cli(self.env, "token", "create", "--role", "admin", "--name", "bench").split()[0]


def attachment_size(from_code, to_codes, target):
    """Attachment bytes that make a package of about `target` bytes."""
    small, _ = ltpkg.edoc(from_code, to_codes, number="999999", notation="BENCH",
                          attachments=[("phu-luc.pdf", b"")])
    return max(0, (target - len(small)) * 3 // 4)


def write_package(path, from_code, to_codes, number, rnd, att_bytes):
    data, docid = ltpkg.edoc(from_code, to_codes, number=str(number), notation="BENCH",
                             subject="Công văn thử tải số %d" % number,
                             attachments=[("phu-luc-%d.pdf" % number, rnd.randbytes(att_bytes))])
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def accept_floor(exe, where, manifest):
    """bench/accept_floor.c over the manifest's packages, SENDERS lanes at
    once: durable acceptance with nothing but its writes, fsyncs and group
    commits. Returns packages/s, packages per commit and the program's own
    CPU milliseconds per package."""
    files = []
    with open(manifest) as f:
        for line in f:
            if line.startswith("S "):
                files.append(line.split()[3])
    d = os.path.join(where, "floor")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([exe, d, str(SENDERS), str(FANOUT)] + files, capture_output=True, text=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(d, ignore_errors=True)
    if p.returncode != 0:
        raise BenchError("accept_floor failed: %s" % p.stderr)
    n, s, commits = p.stdout.split()
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return {"per_s": int(n) / float(s), "per_commit": int(n) / max(1, int(commits)), "packages": int(n),
            "cpu_ms_per_package": 1000.0 * cpu / max(1, int(n))}


def commit_ceiling(exe, where, seconds=2.0):
    """Single-row SQLite commits (WAL, synchronous=FULL) per second in a
    fresh database under `where`, and the hub's per-package body path
    (write, fsync, rename, two directory fsyncs) per second."""
    d = os.path.join(where, "ceiling")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "bodies"))
    out = {}
    for mode, arg in (("sqlite", os.path.join(d, "c.db")), ("body", os.path.join(d, "bodies"))):
        p = subprocess.run([exe, mode, arg, str(seconds)], capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError("commit_ceiling %s failed: %s" % (mode, p.stderr))
        n, s = p.stdout.split()
        out[mode] = int(n) / float(s)
    shutil.rmtree(d, ignore_errors=True)
    return out


class SyncCounter:
    """Counts the daemon's fsync, fdatasync and syncfs calls per thread while a load
    runs (`perf stat --per-thread` on the system-call tracepoints: counting
    only, no sampling, so it does not slow the daemon down). Threads are
    named from /proc: MHD-worker (HTTP) or lienthongd (the group committer
    is the only other thread that syncs)."""

    EVENTS = "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_syncfs"
    KINDS = ("fsync", "fdatasync", "syncfs")

    def __init__(self, pid, tmp):
        self.pid, self.out, self.p = pid, os.path.join(tmp, "syncs-%d.csv" % pid), None
        if shutil.which("perf"):
            self.p = subprocess.Popen(["perf", "stat", "--per-thread", "-x", ",", "-e", self.EVENTS, "-o",
                                       self.out, "-p", str(pid)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(0.3)

    def stop(self):
        """{thread comm: {"fsync": n, "fdatasync": n, "syncfs": n}}, or None without perf."""
        if not self.p:
            return None
        comms = {}
        for tid in os.listdir("/proc/%d/task" % self.pid):
            try:
                with open("/proc/%d/task/%s/comm" % (self.pid, tid)) as f:
                    comms[tid] = f.read().strip()
            except OSError:
                pass
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None
        counts = {}
        try:
            with open(self.out) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) < 4 or not parts[1].strip().isdigit():
                        continue
                    tid = parts[0].rsplit("-", 1)[-1]
                    ev = parts[3].split("sys_enter_")[-1]
                    n = int(parts[1])
                    if n == 0:
                        continue
                    name = "HTTP workers (MHD-worker)" if comms.get(tid) == "MHD-worker" else \
                        "group committer (lienthongd)"
                    counts.setdefault(name, dict.fromkeys(self.KINDS, 0))[ev] += n
        except OSError:
            return None
        return counts


def run_xload(exe, daemon, manifest, tmp, tag, count_syncs=False):
    """Runs the load client against the daemon; returns its figures with the
    daemon's CPU seconds over the run (and its fsync calls per thread)."""
    out, err = os.path.join(tmp, tag + ".json"), os.path.join(tmp, tag + ".err")
    syncs = SyncCounter(daemon.pid, tmp) if count_syncs else None
    ru0, busy0, ss0 = resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy(), schedstat(daemon.pid)
    cpu0, t = daemon.cpu_seconds(), time.monotonic()
    client = [0, 0]  # the client's own ns on a CPU and waiting for one, last read before it exits
    with open(out, "w") as of, open(err, "w") as ef:
        p = subprocess.Popen([exe, daemon.url(), manifest], stdout=of, stderr=ef)
        while p.poll() is None:
            try:
                with open("/proc/%d/schedstat" % p.pid) as f:
                    client = [int(x) for x in f.read().split()[:2]]
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
    wall = time.monotonic() - t
    cpu = daemon.cpu_seconds() - cpu0
    ru1, busy1, ss1 = resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy(), schedstat(daemon.pid)
    if p.returncode != 0:
        with open(err, errors="replace") as f:
            raise BenchError("xload exited %d: %s" % (p.returncode, f.read()[-2000:]))
    with open(out) as f:
        r = json.load(f)
    r["daemon_cpu_s"], r["wall_s"] = cpu, wall
    if syncs:
        r["syncs"] = syncs.stop()
    r["daemon_threads_s"] = {k: {"on_cpu": (v[0] - ss0.get(k, [0, 0])[0]) / 1e9,
                                 "waiting_for_a_cpu": (v[1] - ss0.get(k, [0, 0])[1]) / 1e9}
                             for k, v in ss1.items()}
    r["client_schedstat_s"] = {"on_cpu": client[0] / 1e9, "waiting_for_a_cpu": client[1] / 1e9}
    r["client_cpu_s"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    r["machine_busy_cores"] = (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * os.cpu_count() if busy1[1] > busy0[1] \
        else 0.0
    return r


def schedstat(pid):
    """{thread comm: [ns on CPU, ns runnable but waiting for a CPU]} over
    every thread of pid (/proc/PID/task/TID/schedstat)."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                run, wait = [int(x) for x in f.read().split()[:2]]
        except (OSError, ValueError):
            continue
        v = out.setdefault(comm, [0, 0])
        v[0] += run
        v[1] += wait
    return out


def machine_busy():
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


# ---------------------------------------------------------------- thread states


SYSCALLS = {0: "read", 1: "write", 7: "poll", 17: "pread64", 18: "pwrite64", 20: "writev", 23: "select",
            35: "nanosleep", 40: "sendfile", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg",
            74: "fsync", 75: "fdatasync", 82: "rename", 202: "futex", 230: "clock_nanosleep",
            232: "epoll_wait", 257: "openat", 270: "pselect6", 281: "epoll_pwait", 288: "accept4",
            318: "getrandom"}


def sample_threads(pid, stop, hz=100):
    """Wall-clock samples of every thread of pid: runnable (on a CPU or
    waiting for one), or in which system call it sleeps
    (/proc/PID/task/TID/syscall). Returns {group: {state: samples}}, the
    groups by thread name: MHD-worker (the HTTP threads) and lienthongd
    (the main thread, the group committer, the watchdog)."""
    groups = {}
    period = 1.0 / hz
    while not stop():
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            break
        for tid in tids:
            base = "/proc/%d/task/%s/" % (pid, tid)
            try:
                with open(base + "comm") as f:
                    comm = f.read().strip()
                with open(base + "stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                what = "runnable"
                if state != "R":
                    with open(base + "syscall") as f:
                        first = f.read().split()[0]
                    if first.lstrip("-").isdigit():
                        what = SYSCALLS.get(int(first), "syscall " + first)
            except (OSError, IndexError, ValueError):
                continue
            g = "HTTP workers (MHD-worker)" if comm == "MHD-worker" else "other threads (committer, main, watchdog)"
            d = groups.setdefault(g, {})
            d[what] = d.get(what, 0) + 1
        time.sleep(period)
    return groups


def thread_profile(groups):
    """Shares (%) of each group's samples by state."""
    out = {}
    for g, d in groups.items():
        total = sum(d.values())
        out[g] = {"samples": total,
                  "share": {k: round(100.0 * v / total, 1) for k, v in sorted(d.items(), key=lambda x: -x[1])
                            if 100.0 * v / total >= 0.5}}
    return out


# ---------------------------------------------------------------- the benchmark


class Plan:
    """The 40 systems of the benchmark: 20 senders and 20 receivers on
    level-1 codes of the demo registry, with their tokens."""

    def __init__(self, hub, rnd):
        codes = hub.level1_codes()
        if len(codes) < SENDERS + RECEIVERS:
            raise BenchError("only %d active level-1 codes in the demo registry" % len(codes))
        picked = rnd.sample(codes, SENDERS + RECEIVERS)
        self.hub, self.senders, self.receivers = hub, picked[:SENDERS], picked[SENDERS:]
        self.tokens = {c: hub.add_system("bench %s" % c, c) for c in picked}
        self.att = attachment_size(self.senders[0], self.receivers[:FANOUT], PACKAGE_BYTES)
        self.number = 1  # DocumentId numbers are unique across loads

    def write_load(self, name, per_sender, rnd, send_limit_s=120, receivers=True):
        """per_sender fresh packages for each sender, each to FANOUT of the
        receivers picked at random, and the xload manifest that sends them
        (lane i = sender i) while every receiver polls, fetches and acks
        (without receivers: the senders alone, the acceptance phase)."""
        pdir = os.path.join(self.hub.dir, name)
        os.makedirs(pdir, exist_ok=True)
        lines, sizes = [], []
        for _ in range(per_sender):
            for lane, s in enumerate(self.senders):
                path = os.path.join(pdir, "%s-%d.xml" % (s.replace(".", "_"), self.number))
                sizes.append(write_package(path, s, rnd.sample(self.receivers, FANOUT), self.number, rnd,
                                           self.att))
                lines.append("S %d %s %s" % (lane, self.tokens[s], path))
                self.number += 1
        if receivers:
            lines += ["R %s" % self.tokens[r] for r in self.receivers]
        lines += ["W 30", "D 60", "L %d" % send_limit_s]
        manifest = os.path.join(self.hub.dir, name + ".manifest")
        with open(manifest, "w") as f:
            f.write("\n".join(lines) + "\n")
        return manifest, {"packages": len(sizes), "mean_package_bytes": sum(sizes) / len(sizes),
                          "attachment_bytes": self.att}


def check(r, what, receivers=True):
    if r["accepted"] != r["sends_started"] or r["refused"] or r["failed"]:
        raise BenchError("%s: %d of %d packages accepted (%d refused, %d failed): %s"
                         % (what, r["accepted"], r["sends_started"], r["refused"], r["failed"], r["first_error"]))
    if not receivers:
        return
    if r["acked"] != r["deliveries_expected"] or r["fetch_errors"] or r["ack_errors"]:
        raise BenchError("%s: %d of %d deliveries fetched and acknowledged (%d fetch, %d ack errors): %s"
                         % (what, r["acked"], r["deliveries_expected"], r["fetch_errors"], r["ack_errors"],
                            r["first_error"]))


def run(ctx):
    rnd = random.Random(10)
    xload = build_xload(ctx.tmp)
    ceiling_exe = build(ctx.tmp, "commit_ceiling", ["-lsqlite3"])
    floor_exe = build(ctx.tmp, "accept_floor", ["-lsqlite3", "-lpthread"])
    per_sender = ctx.xchg_packages // SENDERS
    log("exchange: a fresh hub (init --demo), 40 systems, %d packages of ~%d KB to %d recipients each"
        % (per_sender * SENDERS, PACKAGE_BYTES // 1024, FANOUT))
    hub = Hub(ctx.tmp, "xchg")
    t = time.monotonic()
    plan = Plan(hub, rnd)
    manifest, setup = plan.write_load("pkgs", per_sender, rnd)
    # The acceptance phase's own packages, of the same kind: the senders
    # alone, after the mixed run (see below).
    accept_manifest, _ = plan.write_load("pkgs-accept", per_sender, rnd, receivers=False)
    setup.update(senders=plan.senders, receivers=plan.receivers)
    log("exchange: packages written in %.1f s" % (time.monotonic() - t))

    ceil = [commit_ceiling(ceiling_exe, hub.dir)]
    floor = accept_floor(floor_exe, hub.dir, manifest)
    log("exchange: acceptance floor (bench/accept_floor.c, %d lanes): %.0f packages/s, %.1f per commit"
        % (SENDERS, floor["per_s"], floor["per_commit"]))
    log("exchange: durable-commit ceiling %.0f commits/s (SQLite WAL, synchronous=FULL); body path %.0f files/s"
        % (ceil[0]["sqlite"], ceil[0]["body"]))
    daemon = Daemon(hub.dir, hub.db, ctx.threads, "lienthongd-exchange").start()
    prof, threads = None, None
    try:
        log("exchange: %d senders, %d receivers (xload)" % (SENDERS, RECEIVERS))
        r = run_xload(xload, daemon, manifest, ctx.tmp, "xload-exchange", count_syncs=True)
        check(r, "exchange")
        rss = daemon.peak_rss_kb() / 1024.0
        log("exchange: %d accepted in %.1f s, %d deliveries acknowledged in %.1f s; e2e p50 %.0f ms p99 %.0f ms"
            % (r["accepted"], r["last_accept_s"], r["acked"], r["last_ack_s"], r["e2e"]["p50_ms"],
               r["e2e"]["p99_ms"]))
        if ctx.profile:
            # A shorter load of fresh packages, apart from the measured run:
            # perf for the CPU, and a wall-clock sample of every thread's
            # state for the time the daemon's threads spend waiting.
            pm, _ = plan.write_load("pkgs-profile", max(1, per_sender // 3), rnd, 60)
            out = os.path.join(ctx.tmp, "perf-exchange.data")
            log("exchange under perf record (%d packages)" % (max(1, per_sender // 3) * SENDERS))
            stop = threading.Event()
            holder = {}
            th = threading.Thread(target=lambda: holder.update(s=sample_threads(daemon.pid, stop.is_set)))
            th.start()
            try:
                prof = perf_profile.profile_daemon_under_load(
                    daemon, out, lambda: check(run_xload(xload, daemon, pm, ctx.tmp, "xload-profile"), "profile"),
                    focus=FOCUS)
            finally:
                stop.set()
                th.join()
            threads = thread_profile(holder.get("s", {}))
            prof["what"] = "20 senders and 20 receivers, a shorter run"
            prof["threads"] = threads
            if not ctx.keep:
                os.remove(out)
        # The acceptance phase: the same 20 senders with fresh packages of
        # the same kind and no receivers, so that what is judged against the
        # floor (bodies, rows, group commits at 20 lanes, nothing else) is
        # acceptance alone, not acceptance plus ten fetches and ten
        # acknowledgements per package on the same two cores. It runs last:
        # the deliveries it leaves waiting would otherwise be fetched by the
        # receivers of the runs above.
        log("exchange: acceptance phase, %d senders and no receivers" % SENDERS)
        ra = run_xload(xload, daemon, accept_manifest, ctx.tmp, "xload-accept", count_syncs=True)
        check(ra, "acceptance phase", receivers=False)
    finally:
        daemon.stop()
    floor_after = accept_floor(floor_exe, hub.dir, accept_manifest)
    log("exchange: acceptance floor after the load: %.0f packages/s" % floor_after["per_s"])
    ceil.append(commit_ceiling(ceiling_exe, hub.dir))
    log("exchange: durable-commit ceiling after the load %.0f commits/s" % ceil[1]["sqlite"])
    if not ctx.keep:
        shutil.rmtree(hub.dir, ignore_errors=True)

    commits = sum(c["sqlite"] for c in ceil) / len(ceil)
    bodies = sum(c["body"] for c in ceil) / len(ceil)
    accepted_ps = r["accepted"] / r["last_accept_s"]
    # The floor, measured just before the load (the mixed run's packages)
    # and just after it (the acceptance phase's): their mean is the
    # reference, as for the commit ceiling.
    floors = [floor, floor_after]
    floor_ps = sum(f["per_s"] for f in floors) / len(floors)
    floor_cpu = sum(f["cpu_ms_per_package"] for f in floors) / len(floors)
    na = ra["accepted"]
    accept_ps = na / ra["last_accept_s"]
    asyncs = ra.get("syncs") or {}
    accept_phase = {
        "packages": na, "accepted_per_s": accept_ps, "send_p50_ms": ra["send"]["p50_ms"],
        "send_p99_ms": ra["send"]["p99_ms"], "daemon_cpu_ms_per_package": 1000.0 * ra["daemon_cpu_s"] / na,
        "client_cpu_ms_per_package": 1000.0 * ra["client_schedstat_s"]["on_cpu"] / na,
        "daemon_threads_cpu_ms_per_package": {k: 1000.0 * v["on_cpu"] / na
                                              for k, v in ra.get("daemon_threads_s", {}).items()},
        "syncs_per_package": sum(sum(v.values()) for v in asyncs.values()) / na if asyncs else None,
        "wal_fdatasync_per_package": sum(v.get("fdatasync", 0) for v in asyncs.values()) / na if asyncs else None,
        "machine_busy_cores": ra["machine_busy_cores"]}
    deliveries_ps = r["acked"] / r["last_ack_s"]
    offered_ps = r["deliveries_expected"] / r["last_accept_s"]
    during = r["acked_at_senders_done"] / r["send_phase_s"] if r["send_phase_s"] else 0.0
    requests = r["accepted"] + r["inbox_polls"] + r["fetched"] + r["acked"]
    requests_ps = requests / r["total_s"]
    nat = national_rates()
    national = dict(nat, **{
        "headroom_sent": accepted_ps / nat["sent_per_s"],
        "headroom_received": deliveries_ps / nat["received_per_s"],
        "headroom_sent_working_hours": accepted_ps / nat["sent_per_s_working_hours"],
        "headroom_received_working_hours": deliveries_ps / nat["received_per_s_working_hours"],
        "month_of_sends_takes_s": NATIONAL["sent"] / accepted_ps,
        "month_of_deliveries_takes_s": NATIONAL["received"] / deliveries_ps,
        "hub_requests_per_s": requests_ps,
        "headroom_platform_transactions": requests_ps / nat["platform_transactions_per_s"]})
    details = dict(setup, **{
        "daemon_threads": ctx.threads, "signature_policy": "flag (the default: unsigned packages are "
                                                            "verified, found unsigned and delivered)",
        "commit_ceiling_per_s": [round(c["sqlite"]) for c in ceil],
        "accept_floor": floor, "accept_floor_after": floor_after, "accept_floor_per_s": floor_ps,
        "acceptance_phase": accept_phase,
        "mixed_daemon_threads_cpu_ms_per_package": {k: 1000.0 * v["on_cpu"] / r["accepted"]
                                                    for k, v in r.get("daemon_threads_s", {}).items()},
        "mixed_client_cpu_ms_per_package": 1000.0 * r["client_schedstat_s"]["on_cpu"] / r["accepted"],
        "body_path_per_s": [round(c["body"]) for c in ceil],
        "accepted_per_s": accepted_ps, "deliveries_per_s": deliveries_ps,
        "deliveries_offered_per_s": offered_ps, "deliveries_per_s_while_sending": during,
        "daemon_cpu_s": r["daemon_cpu_s"], "daemon_cpu_cores": r["daemon_cpu_s"] / r["wall_s"],
        "daemon_cpu_ms_per_package": 1000.0 * r["daemon_cpu_s"] / r["accepted"],
        "national": national, "xload": r})
    syncs = r.get("syncs") or {}
    none = dict.fromkeys(SyncCounter.KINDS, 0)
    http_s = dict(none, **syncs.get("HTTP workers (MHD-worker)", {}))
    comm_s = dict(none, **syncs.get("group committer (lienthongd)", {}))
    n = r["accepted"]
    # The group committer's syncs: per batch one syncfs for the batch's
    # package bodies (fsyncs instead where there is no syncfs), one
    # fdatasync of the WAL per commit, two per checkpoint (the WAL, then the
    # database file); so WAL fdatasyncs bound the commits from above and
    # writes per commit are a lower bound.
    group_commits = comm_s["fdatasync"]
    if syncs:
        writes = n + r["acked"]
        details["syncs_per_package"] = {
            "all": (sum(http_s.values()) + sum(comm_s.values())) / n,
            "group_committer_all": sum(comm_s.values()) / n,
            "group_committer_fdatasync": comm_s["fdatasync"] / n,
            "group_committer_syncfs": comm_s["syncfs"] / n, "group_committer_fsync": comm_s["fsync"] / n,
            "packages_per_group_commit": n / group_commits if group_commits else None,
            "writes_per_group_commit": writes / group_commits if group_commits else None,
            "packages_per_body_sync": n / comm_s["syncfs"] if comm_s["syncfs"] else None,
            "http_workers_fsync": http_s["fsync"] / n, "http_workers_fdatasync": http_s["fdatasync"] / n,
            "http_workers_fdatasync_per_ack": http_s["fdatasync"] / r["acked"] if r["acked"] else None}
    # Where the HTTP workers' time went over the measured run
    # (/proc/PID/task/TID/schedstat): on a core, runnable but waiting for
    # one, or asleep (idle in epoll, or blocked in a system call).
    w = r.get("daemon_threads_s", {}).get("MHD-worker")
    if w:
        span = r["wall_s"] * ctx.threads
        w = dict(w, asleep=max(0.0, span - w["on_cpu"] - w["waiting_for_a_cpu"]), thread_seconds=span)
        details["http_workers_time_s"] = w
    if threads:
        details["thread_states_profile_run"] = threads
    if prof is not None:
        lines = []
        if w:
            lines.append("HTTP workers' time over the measured run (schedstat, %d threads x %.1f s): on a core "
                         "%.0f%%, runnable but waiting for a core %.0f%%, asleep %.0f%%; daemon %.1f ms CPU per "
                         "package; machine %.2f of %d cores busy"
                         % (ctx.threads, r["wall_s"], 100 * w["on_cpu"] / w["thread_seconds"],
                            100 * w["waiting_for_a_cpu"] / w["thread_seconds"], 100 * w["asleep"] / w["thread_seconds"],
                            1000.0 * r["daemon_cpu_s"] / n, r["machine_busy_cores"], os.cpu_count()))
            c = r.get("client_schedstat_s")
            if c:
                lines.append("the load client (xload, one thread) over the same run: on a core %.0f%%, runnable but "
                             "waiting for a core %.0f%%" % (100 * c["on_cpu"] / r["wall_s"],
                                                            100 * c["waiting_for_a_cpu"] / r["wall_s"]))
        if syncs:
            sp = details["syncs_per_package"]
            lines.append("durable syncs per accepted package (perf stat, measured run): %.2f in all; group "
                         "committer %.2f fdatasync (%.2f writes per group commit: %d sends and %d "
                         "acknowledgements), %.3f syncfs (package bodies, %.1f per round) and %.2f fsync; HTTP "
                         "workers %.2f fsync and %.2f fdatasync; single-commit ceiling %.0f commits/s"
                         % (sp["all"], sp["group_committer_fdatasync"], sp["writes_per_group_commit"] or 0, n,
                            r["acked"], sp["group_committer_syncfs"], sp["packages_per_body_sync"] or 0,
                            sp["group_committer_fsync"], sp["http_workers_fsync"], sp["http_workers_fdatasync"],
                            commits))
        if threads:
            hw = threads.get("HTTP workers (MHD-worker)")
            if hw:
                lines.append("HTTP workers' states, sampled at 100 Hz in the profiled run: " + ", ".join(
                    "%s %.1f%%" % (k, v) for k, v in hw["share"].items()))
        if prof.get("focus"):
            lines.append("our functions (inclusive, profiled run): " + ", ".join(
                "%s %.1f%%" % (k, v["pct"]) for k, v in sorted(prof["focus"].items(), key=lambda x: -x[1]["pct"])))
        if w:
            parts = sorted([("runnable but waiting for a core", w["waiting_for_a_cpu"]),
                            ("on a core", w["on_cpu"]), ("asleep (idle in epoll or blocked in a sync)", w["asleep"])],
                           key=lambda x: -x[1])
            lead = "HTTP workers %s %.0f%% of the measured run" % (parts[0][0],
                                                                   100 * parts[0][1] / w["thread_seconds"])
            prof["bottleneck"] = lead + "; their CPU: " + prof["bottleneck"]
        prof["lines"] = lines
    results = [
        result("exchange_accepted_pps", accepted_ps, "packages/s",
               "disk's durable-commit ceiling: SQLite WAL synchronous=FULL single-row commits/s", commits, None,
               None, reference_unit="commits/s",
               note="%d packages of %.0f KB to %d recipients from %d systems in %.1f s while %d systems received; "
                    "ratio > 1 means the group commit shares one fsync between concurrent sends"
                    % (n, setup["mean_package_bytes"] / 1024.0, FANOUT, SENDERS, r["last_accept_s"], RECEIVERS)),
        result("exchange_accept_vs_floor", accept_ps, "packages/s",
               "durable acceptance floor: the same kind of packages' bodies and rows, %d lanes, group commits "
               "(bench/accept_floor.c, mean of a run before and one after the load)" % SENDERS, floor_ps,
               "ratio >= 0.5", lambda v, ratio: ratio is not None and ratio >= 0.5,
               note="acceptance phase: %d senders alone, %d packages, no receivers, as the floor; the floor "
                    "carried %.1f packages per commit; the hub %.2f durable syncs per accepted package, daemon "
                    "%.2f ms CPU per package (the floor %.2f ms), load client %.2f ms; with the receivers "
                    "fetching and acknowledging at the same time (the mixed run): %.1f packages/s, "
                    "exchange_accept_mixed_vs_floor"
                    % (SENDERS, na, sum(f["per_commit"] for f in floors) / len(floors),
                       accept_phase["syncs_per_package"] or 0, accept_phase["daemon_cpu_ms_per_package"],
                       floor_cpu, accept_phase["client_cpu_ms_per_package"], accepted_ps)),
        result("exchange_accept_mixed_vs_floor", accepted_ps, "packages/s",
               "durable acceptance floor (as exchange_accept_vs_floor)", floor_ps, None, None,
               note="the mixed run: accepted/s while %d receivers long-poll, fetch and acknowledge every delivery "
                    "on the same two cores (%.2f durable syncs per accepted package in all; daemon %.2f ms CPU per "
                    "accepted package, its deliveries' fetches and acknowledgements included)"
                    % (RECEIVERS, (sum(comm_s.values()) + sum(http_s.values())) / max(1, n),
                       1000.0 * r["daemon_cpu_s"] / n)),
        result("exchange_accept_cpu_per_package", accept_phase["daemon_cpu_ms_per_package"], "ms",
               "the floor's own CPU per package (bench/accept_floor.c)", floor_cpu, None, None,
               note="daemon CPU (/proc/PID/stat) per accepted package in the acceptance phase; the mixed run: "
                    "%.2f ms, fetches and acknowledgements included" % (1000.0 * r["daemon_cpu_s"] / n)),
        result("exchange_deliveries_ps", deliveries_ps, "deliveries/s",
               "deliveries addressed per second (accepted/s x %d)" % FANOUT, offered_ps, None, None,
               note="fetched and acknowledged `done`, over %.1f s from the first send to the last ack; "
                    "%.0f/s while the senders were still sending" % (r["last_ack_s"], during)),
        result("exchange_e2e_p50", r["e2e"]["p50_ms"], "ms", "send p50 (POST -> 201)", r["send"]["p50_ms"],
               "end-to-end p50 <= 50 ms", lambda v, _ratio: v <= 50,
               note="end to end: the sender's 201 -> the recipient's long-poll reply that lists it, %d "
                    "deliveries; each receiver keeps GET /v1/inbox?wait=30&after= pending on one connection and "
                    "fetches and acknowledges on another (201 -> fetch complete: p50 %.0f ms, p99 %.0f ms)"
                    % (r["e2e"]["n"], r["e2e_fetched"]["p50_ms"], r["e2e_fetched"]["p99_ms"])),
        result("exchange_e2e_p99", r["e2e"]["p99_ms"], "ms", "send p99 (POST -> 201)", r["send"]["p99_ms"], None,
               None, note="receivers keep a long poll (wait=30, after the last delivery seen) pending"),
        result("exchange_vs_national_sent", accepted_ps, "packages/s",
               "national axis, documents sent per second, March 2022 (111,456 in 31 days)", nat["sent_per_s"],
               None, None, reference_unit="documents/s",
               note="ratio = headroom of one node over the whole country's average"),
        result("exchange_vs_national_received", deliveries_ps, "deliveries/s",
               "national axis, documents received per second, March 2022 (352,454 in 31 days)",
               nat["received_per_s"], None, None, reference_unit="documents/s"),
        result("exchange_vs_platform_transactions", requests_ps, "requests/s",
               "national data-exchange platform, 1.5 million transactions a day", nat["platform_transactions_per_s"],
               None, None, reference_unit="transactions/s",
               note="hub requests of the run: sends, inbox polls, fetches and acks, over %.1f s" % r["total_s"]),
        result("exchange_peak_rss", rss, "MB", "lienthongd peak RSS in the look-up benchmark",
               getattr(ctx, "lookup_rss_mb", None), None, None,
               note="VmHWM of lienthongd over the exchange benchmark (measured run)"),
    ]
    details["body_path_ceiling_per_s"] = bodies
    return results, details, prof
