"""Import benchmark: `lienthong import` of a 100,000-row CSV into a registry
that holds level 1, against bench/ref_import.c inserting the same rows into
one SQLite table in one transaction (same columns, code as primary key, WAL,
synchronous=FULL). The two run alternately, round after round, in the same
minute; each figure is the best of its rounds."""
import os
import shutil
import subprocess

import perf_profile
from benchlib import CLI, BenchError, build_helpers, log, lt_env, timed
from report import result


def fresh_registry(tmp, name):
    """A new database with level 1 loaded (`lienthong init`)."""
    d = os.path.join(tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    db = os.path.join(d, "lienthong.db")
    env = lt_env(d, db)
    p = subprocess.run([CLI, "init"], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("lienthong init failed: " + p.stderr)
    return d, db, env


def import_once(tmp, name, csv_path, rows):
    d, db, env = fresh_registry(tmp, name)
    err = os.path.join(d, "import.err")
    with open(err, "w") as ef:
        t = timed([CLI, "import", csv_path], env=env, stderr=ef)
    if t["rc"] != 0:
        with open(err, errors="replace") as f:
            raise BenchError("lienthong import exited %d: %s" % (t["rc"], f.read()[-2000:]))
    return d, db, t


def reference_once(tmp, exe, csv_path, rows):
    db = os.path.join(tmp, "ref.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    out = os.path.join(tmp, "ref.out")
    with open(out, "w") as of:
        t = timed([exe, csv_path, db], stdout=of)
    with open(out) as f:
        n = f.read().strip()
    if t["rc"] != 0 or n != str(rows):
        raise BenchError("ref_import exited %d after %s rows (expected %d)" % (t["rc"], n, rows))
    return t


def run(ctx):
    """Returns the results, the registry database of the last import (the
    look-up and search benchmarks use it) and the details."""
    exe = build_helpers(ctx.tmp)["ref_import"]
    subj, ref = [], []
    keep = None
    for i in range(ctx.import_rounds):
        order = ("ref", "subj") if i % 2 == 0 else ("subj", "ref")
        for who in order:
            if who == "ref":
                t = reference_once(ctx.tmp, exe, ctx.csv, ctx.units)
                ref.append(t)
                log("import round %d: reference %.2f s" % (i + 1, t["wall"]))
            else:
                if keep:
                    shutil.rmtree(keep[0], ignore_errors=True)
                d, db, t = import_once(ctx.tmp, "import-%d" % i, ctx.csv, ctx.units)
                keep = (d, db)
                subj.append(t)
                log("import round %d: lienthong import %.2f s (CPU %.2f s)" % (i + 1, t["wall"], t["cpu"]))
    best_s = min(subj, key=lambda t: t["wall"])
    best_r = min(ref, key=lambda t: t["wall"])
    details = {"rounds": [{"lienthong_import_s": s["wall"], "reference_s": r["wall"]} for s, r in zip(subj, ref)],
               "lienthong_import_best": best_s, "reference_best": best_r}

    prof = None
    if ctx.profile:
        d, db, env = fresh_registry(ctx.tmp, "import-profile")
        out = os.path.join(ctx.tmp, "perf-import.data")
        log("import under perf record")
        perf_profile.record_command([CLI, "import", ctx.csv], out, env)
        prof = perf_profile.summarize(out)
        shutil.rmtree(d, ignore_errors=True)
        if not ctx.keep:
            os.remove(out)

    results = [
        result("import_100k_csv", best_s["wall"], "s", "sqlite3 bulk insert, one transaction (bench/ref_import.c)",
               best_r["wall"], "ratio <= 2", lambda v, r: r <= 2.0,
               note="best of %d rounds each; lienthong import used %.2f s CPU of %.2f s wall"
                    % (ctx.import_rounds, best_s["cpu"], best_s["wall"])),
        result("import_peak_rss", best_s["maxrss_kb"] / 1024.0, "MB", "ref_import peak RSS",
               best_r["maxrss_kb"] / 1024.0, None, None,
               note="peak RSS of the `lienthong import` process (no daemon in this benchmark)"),
    ]
    return results, keep[1], details, prof
