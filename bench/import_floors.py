"""The import's floors: bench/ref_import_registry.c writing, from the same
CSV, the least the registry must hold for every unit, with SQLite directly
and no checks. Floor (a), `units`: the units table as the store's
migrations leave it (primary key, unique sort_key, the parent and level
indexes, the FTS5 index of the folded name), rows in tree order, secondary
and full-text indexes built after the rows. Floor (b), `events`: (a) plus
one event row per unit holding its state as JSON and the event log's three
indexes. Both run in the import's rounds beside ref_import and `lienthong
import`, so every figure here is measured back to back with them; they are
informational (no goal): they say how far the 2x goal of import_100k_csv is
from what the structures cost at the least."""
import os
import subprocess

import benchlib
from benchlib import BenchError, timed
from report import result

MODES = {"units": [], "events": ["--events"]}


def build():
    p = subprocess.run(["cmake", "--build", benchlib.BUILD, "--target", "bench_ref_import_registry"],
                       capture_output=True, text=True)
    exe = os.path.join(benchlib.BUILD, "bench_ref_import_registry")
    if p.returncode != 0 or not os.access(exe, os.X_OK):
        raise BenchError("cannot build bench_ref_import_registry: " + (p.stdout + p.stderr)[-2000:])
    return exe


def once(tmp, exe, mode, csv_path, rows, cache_mib):
    """One run of floor `mode` (units or events) into a fresh database."""
    db = os.path.join(tmp, "floor-%s.db" % mode)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    out = os.path.join(tmp, "floor.out")
    with open(out, "w") as of:
        t = timed([exe] + MODES[mode] + [csv_path, db, str(cache_mib)], stdout=of)
    with open(out) as f:
        n = f.read().strip()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    if t["rc"] != 0 or n != str(rows):
        raise BenchError("ref_import_registry %s exited %d after %s rows (expected %d)" % (mode, t["rc"], n, rows))
    return t


def best(runs, key="wall"):
    return min(runs, key=lambda t: t[key])


def cpu_ratio(a, b):
    return min(t["cpu"] for t in a) / min(t["cpu"] for t in b)


def figures(subj, ref, floors, rounds):
    """import_structures_floor ((a) against ref_import),
    import_structures_events_floor ((b) against ref_import) and
    import_vs_structures_floor (lienthong import against (b)); wall time
    of the best round as import_100k_csv, CPU time in the note."""
    a, b = floors["units"], floors["events"]
    cpu = "CPU time (user+sys, best of %d rounds) %.2f s against %.2f s: ratio %.2f"
    return [
        result("import_structures_floor", best(a)["wall"], "s", "sqlite3 bulk insert, one transaction "
               "(bench/ref_import.c)", best(ref)["wall"], None, None,
               note="bench/ref_import_registry.c: the units table with every index and the FTS5 index, rows in "
                    "tree order, indexes built after them; " + cpu % (rounds, min(t["cpu"] for t in a),
                                                                      min(t["cpu"] for t in ref), cpu_ratio(a, ref))),
        result("import_structures_events_floor", best(b)["wall"], "s", "sqlite3 bulk insert, one transaction "
               "(bench/ref_import.c)", best(ref)["wall"], None, None,
               note="bench/ref_import_registry.c --events: the structures floor plus one event row per unit with "
                    "its state as JSON and the event log's indexes; " + cpu % (rounds, min(t["cpu"] for t in b),
                                                                               min(t["cpu"] for t in ref),
                                                                               cpu_ratio(b, ref))),
        result("import_vs_structures_floor", best(subj)["wall"], "s", "the registry's structures with their event "
               "log, at the least (import_structures_events_floor)", best(b)["wall"], None, None,
               note="lienthong import against what its required structures cost at the least; " +
                    cpu % (rounds, min(t["cpu"] for t in subj), min(t["cpu"] for t in b), cpu_ratio(subj, b))),
    ]


def scale(tmp, exe, big_csv, n, units, floors, ref, ref_exe, ref_once, cache_mib):
    """Each floor once with the scaling run's n rows, against its best round
    with `units` rows: whether SQLite's B-trees and FTS5 index alone keep
    to 11 times the time for 10 times the rows with the registry's page
    cache. ref_import's own ratio (against its best round, `ref`) goes in
    the notes."""
    big_ref = ref_once(tmp, ref_exe, big_csv, n)
    out = []
    rows_ratio = n / float(units)
    for mode, name in (("units", "import_structures_1m_vs_100k"), ("events", "import_structures_events_1m_vs_100k")):
        small = best(floors[mode])
        t = once(tmp, exe, mode, big_csv, n, cache_mib)
        benchlib.log("floor %s with %d units: %.2f s (CPU %.2f s)" % (mode, n, t["wall"], t["cpu"]))
        out.append(result(name, t["wall"], "s", "the same floor with %d units (its best round)" % units,
                          small["wall"], None, None,
                          note="%d units, %.0f times the rows, page cache %d MiB; CPU time ratio %.2f (%.2f s "
                               "against %.2f s); ref_import alone: %.2f s, CPU %.2f s, CPU time ratio %.2f"
                               % (n, rows_ratio, cache_mib, t["cpu"] / min(x["cpu"] for x in floors[mode]),
                                  t["cpu"], min(x["cpu"] for x in floors[mode]), big_ref["wall"], big_ref["cpu"],
                                  big_ref["cpu"] / min(x["cpu"] for x in ref))))
    return out, big_ref
