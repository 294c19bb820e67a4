"""Profiles under `perf record -g` and what they say: where the CPU goes by
library (self time), which functions of ours hold it (inclusive time), which
system calls the kernel time comes from, and one line naming the bottleneck.
Everything here is computed from the call chains `perf script` prints;
nothing is guessed.

perf samples the software cpu-clock event (virtual machines seldom expose the
hardware counters) and unwinds with DWARF, because neither our RelWithDebInfo
binaries nor Debian's libraries keep frame pointers: plain frame-pointer
call graphs would stop at the first library frame."""
import os
import re
import signal
import subprocess
import time

from benchlib import BenchError, log

FREQ = "499"
CALL_GRAPH = "dwarf,16384"
OWN_DSOS = ("lienthongd", "lienthong")
# Frames every sample passes through: they say nothing about the cost.
GENERIC = {"main", "_start", "__libc_start_main", "__libc_start_call_main", "__libc_start_main_impl",
           "start_thread", "clone3", "__clone3", "entry_SYSCALL_64_after_hwframe", "do_syscall_64",
           "sqlite3_step", "sqlite3VdbeExec", "syscall_exit_to_user_mode",
           # the daemon's request entry points: every request passes them
           "on_request", "run", "import_row", "lt_registry_import_csv", "cmd_import"}
DSO_NAMES = [("libsqlite3", "SQLite"), ("libjansson", "jansson (JSON)"), ("libmicrohttpd", "libmicrohttpd (HTTP)"),
             ("libc.so", "libc"), ("libcsv", "libcsv"), ("libxmlsec1", "xmlsec1"), ("libxml2", "libxml2"),
             ("libcrypto", "OpenSSL libcrypto"), ("[kernel", "kernel"), ("lienthong", "our code")]


def perf_usable(tmp):
    """perf exists and may sample here (containers often forbid it)."""
    out = os.path.join(tmp, "perf-probe.data")
    try:
        p = subprocess.run(["perf", "record", "-e", "cpu-clock", "-g", "-o", out, "--", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout or "").strip().splitlines()
        return False, lines[-1] if lines else "perf record failed"
    return True, ""


def record_args(out):
    return ["perf", "record", "-q", "-e", "cpu-clock", "-F", FREQ, "--call-graph", CALL_GRAPH, "-o", out]


def record_command(cmd, out, env):
    """Runs cmd under perf record; returns its wall seconds."""
    t = time.monotonic()
    p = subprocess.run(record_args(out) + ["--"] + cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise BenchError("perf record %s failed: %s" % (cmd[0], p.stderr[-1000:]))
    return time.monotonic() - t


def record_pid(pid, out):
    """Starts sampling a running process; stop it with stop_recording()."""
    p = subprocess.Popen(record_args(out) + ["-p", str(pid)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # perf attaches to every thread before the load starts
    return p


def stop_recording(p):
    p.send_signal(signal.SIGINT)  # perf writes its data and exits
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise BenchError("perf record did not stop")


FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
LIBC_PREFIXES = ("__libc_", "__GI_", "__mem", "__str", "__lll_", "__futex", "__pthread", "___pthread", "pthread_",
                 "lll_", "__vsnprintf", "__vfprintf", "_IO_", "_int_", "malloc", "free", "cfree")


def read_samples(data):
    """Call chains of every sample, leaf first: [(sym, dso)]. Inlined frames
    take the object of the frame they were inlined into."""
    p = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise BenchError("perf script failed: " + p.stderr[-1000:])
    samples, cur = [], None
    for line in p.stdout.splitlines():
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = None
            continue
        m = FRAME.match(line)
        if not m:
            continue
        ip, sym, dso = m.groups()
        if cur is None:
            cur = []
        cur.append([ip, sym, None if dso == "inlined" else os.path.basename(dso)])
    if cur:
        samples.append(cur)
    chains = []
    for frames in samples:
        # perf prints an inlined function before the frame it was inlined
        # into, at the same address; when that frame is missing, it is part
        # of the library of the function it called (snprintf, say).
        for i in range(len(frames) - 1, -1, -1):
            if frames[i][2] is None and i + 1 < len(frames) and frames[i + 1][0] == frames[i][0]:
                frames[i][2] = frames[i + 1][2]
        for i in range(len(frames)):
            if frames[i][2] is not None:
                continue
            prev = frames[i - 1][2] if i else None
            if frames[i][1].startswith(LIBC_PREFIXES):
                frames[i][2] = "libc.so.6"  # glibc's internal names: locks, system call wrappers
            elif prev and not is_kernel(prev):
                frames[i][2] = prev
            else:
                frames[i][2] = frames[i + 1][2] if i + 1 < len(frames) and frames[i + 1][2] else "?"
        chains.append([(sym.split("+0x")[0], dso) for _, sym, dso in frames])
    return chains


def dso_label(dso):
    for key, name in DSO_NAMES:
        if key in dso:
            return name
    return dso


def is_kernel(dso):
    return dso.startswith("[kernel") or dso.endswith(".ko")


def is_own(dso):
    return dso in OWN_DSOS


def readable(sym, dso):
    if dso == "?":
        dso = "object not resolved"
    return "%s (%s)" % (sym, dso) if sym.startswith("[unknown]") or sym.startswith("0x") else sym


def kernel_class(chain):
    """What brought the CPU into the kernel: a page fault, an interrupt,
    or a system call, named by the user-space function that made it."""
    user = next(((s, d) for s, d in chain if not is_kernel(d)), None)
    ksyms = {s for s, d in chain if is_kernel(d)}
    if "asm_exc_page_fault" in ksyms:
        return "page faults in %s" % dso_label(user[1]) if user else "page faults"
    if not user:
        return "kernel threads and interrupts"
    if not ({"entry_SYSCALL_64_after_hwframe", "do_syscall_64"} & ksyms):
        return "interrupts while in %s" % dso_label(user[1])
    return "system call %s()" % readable(*user)


def pct(n, total):
    return round(100.0 * n / total, 1) if total else 0.0


def summarize(data, focus=()):
    """Reads a perf.data file; returns the shares and a one-line bottleneck.
    For each function named in `focus`, also its inclusive share and where
    the samples under it end (self time by library)."""
    chains = [c for c in read_samples(data) if c]
    total = len(chains)
    focused = {}
    for sym in focus:
        under = [c for c in chains if any(s == sym for s, _ in c)]
        libs = {}
        for c in under:
            libs[dso_label(c[0][1])] = libs.get(dso_label(c[0][1]), 0) + 1
        focused[sym] = {"pct": pct(len(under), total),
                        "by_library": [{"dso": d, "pct": pct(n, total)}
                                       for d, n in sorted(libs.items(), key=lambda x: -x[1]) if pct(n, total) >= 0.5]}
    by_dso, by_sym, incl, groups, group_from = {}, {}, {}, {}, {}
    for c in chains:
        leaf_sym, leaf_dso = c[0]
        by_dso[leaf_dso] = by_dso.get(leaf_dso, 0) + 1
        key = (leaf_sym, leaf_dso)
        by_sym[key] = by_sym.get(key, 0) + 1
        for f in set(c):
            incl[f] = incl.get(f, 0) + 1
        # The group the sample counts for in the bottleneck: the kernel's
        # time by what brought it there, the rest by library.
        g = kernel_class(c) if is_kernel(leaf_dso) else "CPU in " + dso_label(leaf_dso)
        groups[g] = groups.get(g, 0) + 1
        # Who asked for it: the nearest function of ours up the chain.
        own = next((s for s, d in c if is_own(d) and s not in GENERIC), None)
        if own:
            group_from.setdefault(g, {})
            group_from[g][own] = group_from[g].get(own, 0) + 1
    ranked = sorted(groups.items(), key=lambda x: -x[1])
    top_groups = []
    for g, n in ranked[:6]:
        frm = sorted(group_from.get(g, {}).items(), key=lambda x: -x[1])[:3]
        top_groups.append({"group": g, "pct": pct(n, total),
                           "from": [{"sym": s, "pct": pct(k, total)} for s, k in frm]})
    def describe(g):
        what = g["group"] if g["group"].startswith("CPU") else "CPU in the kernel: " + g["group"]
        leafs = sorted(((n, sym) for (sym, d), n in by_sym.items()
                        if "CPU in " + dso_label(d) == g["group"] and not sym.startswith("[unknown]")),
                       reverse=True)[:2]
        text = "%s (%.1f%% of samples%s)" % (
            what, g["pct"], "; top: " + ", ".join("%s %.1f%%" % (sym, pct(n, total)) for n, sym in leafs)
            if leafs else "")
        # Name our function only when it accounts for most of the group.
        if g["from"] and g["from"][0]["pct"] >= 0.4 * g["pct"]:
            text += ", mostly under our %s (%.1f%%)" % (g["from"][0]["sym"], g["from"][0]["pct"])
        return text

    bottleneck = "no samples"
    if top_groups:
        bottleneck = describe(top_groups[0])
        # A close second (within a fifth) is named too: the cost is shared.
        close = [g for g in top_groups[1:3] if g["pct"] >= 0.8 * top_groups[0]["pct"]]
        if close:
            bottleneck += ", and " + ", and ".join(describe(g) for g in close)
    own = sorted(((n, sym) for (sym, d), n in incl.items() if is_own(d) and sym not in GENERIC), reverse=True)[:8]
    libs = sorted(((n, sym, d) for (sym, d), n in incl.items() if not is_own(d) and not is_kernel(d)
                   and sym not in GENERIC and not sym.startswith("[unknown]") and n < 0.99 * total),
                  reverse=True)[:10]
    return {"samples": total, "bottleneck": bottleneck, "groups": top_groups, "focus": focused,
            "by_dso": [{"dso": d if d != "?" else "(unresolved)", "pct": pct(n, total)}
                       for d, n in sorted(by_dso.items(), key=lambda x: -x[1]) if pct(n, total) >= 0.5],
            "top_self": [{"sym": readable(s, d), "dso": d, "pct": pct(n, total)}
                         for (s, d), n in sorted(by_sym.items(), key=lambda x: -x[1])[:10]],
            "own_inclusive": [{"sym": s, "pct": pct(n, total)} for n, s in own],
            "lib_inclusive": [{"sym": s, "dso": d, "pct": pct(n, total)} for n, s, d in libs]}


def profile_daemon_under_load(daemon, out, load, focus=()):
    """Samples the daemon while load() runs; returns the summary."""
    p = record_pid(daemon.pid, out)
    try:
        load()
    finally:
        stop_recording(p)
    log("perf report %s" % os.path.basename(out))
    return summarize(out, focus)
