"""Import benchmark: `lienthong import` of a 100,000-row CSV into a registry
that holds level 1, against bench/ref_import.c inserting the same rows into
one SQLite table in one transaction (same columns, code as primary key, WAL,
synchronous=FULL), and against the floors of bench/import_floors.py (the
registry's required structures written with SQLite alone). They run in
turn, round after round, in the same minute; each figure is the best of its
rounds."""
import os
import shutil
import subprocess
import sys

import import_floors
import perf_profile
from benchlib import CLI, ROOT, BenchError, build_helpers, log, lt_env, timed
from report import result

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import ltgen  # noqa: E402


def write_units_csv(path, n):
    return ltgen.write_units_csv(ROOT, path, n)


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
    floor_exe = import_floors.build()
    cache_mib = db_cache_mib()
    subj, ref = [], []
    floors = {mode: [] for mode in import_floors.MODES}
    keep = None
    for i in range(ctx.import_rounds):
        order = ("ref", "units", "events", "subj")
        for who in order if i % 2 == 0 else reversed(order):
            if who in floors:
                t = import_floors.once(ctx.tmp, floor_exe, who, ctx.csv, ctx.units, cache_mib)
                floors[who].append(t)
                log("import round %d: floor %s %.2f s (CPU %.2f s)" % (i + 1, who, t["wall"], t["cpu"]))
            elif who == "ref":
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
    details = {"rounds": [{"lienthong_import_s": s["wall"], "reference_s": r["wall"], "floor_units_s": a["wall"],
                           "floor_events_s": b["wall"]}
                          for s, r, a, b in zip(subj, ref, floors["units"], floors["events"])],
               "lienthong_import_best": best_s, "reference_best": best_r,
               "floor_units_best": import_floors.best(floors["units"]),
               "floor_events_best": import_floors.best(floors["events"])}

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

    best_cpu_s = min(t["cpu"] for t in subj)
    best_cpu_r = min(t["cpu"] for t in ref)
    results = [
        result("import_100k_csv", best_s["wall"], "s", "sqlite3 bulk insert, one transaction (bench/ref_import.c)",
               best_r["wall"], "ratio <= 2", lambda v, r: r <= 2.0,
               note="best of %d rounds each; lienthong import used %.2f s CPU of %.2f s wall; CPU time "
                    "(user+sys) ratio %.2f (%.2f s against %.2f s)"
                    % (ctx.import_rounds, best_s["cpu"], best_s["wall"], best_cpu_s / best_cpu_r, best_cpu_s,
                       best_cpu_r)),
        result("import_peak_rss", best_s["maxrss_kb"] / 1024.0, "MB", "ref_import peak RSS",
               best_r["maxrss_kb"] / 1024.0, None, None,
               note="peak RSS of the `lienthong import` process (no daemon in this benchmark)"),
    ]
    results += import_floors.figures(subj, ref, floors, ctx.import_rounds)
    if ctx.import_large:
        results += scale_run(ctx, best_s, details, lambda big_csv, n: import_floors.scale(
            ctx.tmp, floor_exe, big_csv, n, ctx.units, floors, ref, exe, reference_once, cache_mib))
    return results, keep[1], details, prof


def scale_run(ctx, small, details, floors_at):
    """The same import, ctx.import_large units instead of ctx.units: time
    against the best small round (linear: 10 times the rows, at most 11
    times the time) and the CLI's peak RSS against 64 MiB plus the page
    cache SQLite is configured to hold (db_cache_mib)."""
    big_csv = os.path.join(ctx.tmp, "units-large.csv")
    log("generating %d units for the import's scaling run" % ctx.import_large)
    n = write_units_csv(big_csv, ctx.import_large)
    if n != ctx.import_large:
        raise BenchError("made %d rows, not %d" % (n, ctx.import_large))
    d, db, t = import_once(ctx.tmp, "import-large", big_csv, n)
    log("import of %d units: %.2f s (CPU %.2f s), peak RSS %.0f MB" % (n, t["wall"], t["cpu"],
                                                                        t["maxrss_kb"] / 1024.0))
    shutil.rmtree(d, ignore_errors=True)
    floor_results, big_ref = floors_at(big_csv, n)
    os.remove(big_csv)
    cache_mib = db_cache_mib()
    details["import_large"] = {"units": n, "run": t, "db_cache_mib": cache_mib, "reference_run": big_ref}
    rows_ratio = n / float(ctx.units)
    return [
        result("import_1m_vs_100k", t["wall"], "s", "import of %d units (import_100k_csv's best round)" % ctx.units,
               small["wall"], "ratio <= %.1f (%.0f times the rows)" % (rows_ratio * 1.1, rows_ratio),
               lambda v, r: r <= rows_ratio * 1.1,
               note="%d units; CPU time ratio %.2f (%.2f s against %.2f s)"
                    % (n, t["cpu"] / small["cpu"], t["cpu"], small["cpu"])),
        result("import_1m_peak_rss", t["maxrss_kb"] / 1024.0, "MiB", "64 MiB + db_cache_mib (%d MiB)" % cache_mib,
               64.0 + cache_mib, "value <= reference", lambda v, r: r <= 1.0,
               note="peak RSS of the `lienthong import` process of %d units" % n),
    ] + floor_results


def db_cache_mib():
    """The writer's page cache the CLI runs with: db_cache_mib as the
    daemon documents it (--config-md), since the benchmark sets none."""
    p = subprocess.run([os.path.join(os.path.dirname(CLI), "lienthongd"), "--config-md"], capture_output=True,
                       text=True)
    for line in p.stdout.splitlines():
        if "db_cache_mib" in line:
            for cell in line.split("|"):
                cell = cell.strip().strip("`")
                if cell.isdigit():
                    return int(cell)
    raise BenchError("db_cache_mib: no default in lienthongd --config-md")
