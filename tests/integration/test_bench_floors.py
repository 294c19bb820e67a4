#!/usr/bin/env python3
"""bench/ref_import_registry.c, the import benchmark's floors, writes what
the registry writes: for the same CSV, into an empty database, floor (a)
leaves the units table, its indexes, the FTS5 index and their triggers
exactly as `lienthong import` does (the schema entries, every row in the
same rowid order, which is tree order, the same full-text matches), and
floor (b) also the same event rows (seq, keys, the unit's state as JSON)
and the event log's indexes. So a floor that drifted from the store's
schema or from what an import writes fails here, not silently in `make
bench`. And bench/import_floors.py turns the rounds into informational
figures with the ratios it names.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltgen  # noqa: E402
from ltcli import case, finish, run  # noqa: E402

BUILD = os.environ["LT_BUILD_DIR"]
SOURCE = os.environ["LT_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SOURCE, "bench"))
import import_floors  # noqa: E402
import report  # noqa: E402

UNITS = 1500  # over the bulk path's 1,000 rows, so the import builds its indexes after the rows too
TABLES = ("units", "units_fts", "events")


def build_floor():
    p = subprocess.run(["cmake", "--build", BUILD, "--target", "bench_ref_import_registry"], capture_output=True,
                       text=True)
    exe = os.path.join(BUILD, "bench_ref_import_registry")
    assert p.returncode == 0 and os.access(exe, os.X_OK), "cannot build the floor: " + p.stdout + p.stderr
    return exe


def rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def schema(db, tables):
    """Every table, index and trigger of these tables (the FTS5 index's
    shadow tables too), its SQL with runs of blanks as one space and the
    table's name unquoted (a table made by ALTER TABLE … RENAME keeps its
    new name quoted in its SQL, as migration 16's units)."""
    got = rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    return [(t, n, tb, " ".join(s.split()).replace('CREATE TABLE "%s"' % n, "CREATE TABLE " + n) if s else None)
            for t, n, tb, s in got if tb in tables or tb.startswith("units_fts_")]


# What a run writes that the floor cannot know: the day and the actor.
UNIT_COLS = ("rowid, code, sort_key, parent, level, name, name_fold, address, email, phone, fax, website, status, "
             "valid_from, valid_to, decision_number, decision_date, decision_issuer, reorganized, version")
EVENT_COLS = "seq, change_id, kind, code, parent, sort_key, effective, json_remove(data, '$.unit.recorded', '$.actor')"


def fixture(tmp):
    csv_path = os.path.join(tmp, "units.csv")
    ltgen.write_csv(ltgen.tree(SOURCE, UNITS), csv_path)
    n = len(rows_of_csv(csv_path))
    real = os.path.join(tmp, "real.db")
    run(real, "import", csv_path)
    exe = build_floor()
    out = {}
    for mode in import_floors.MODES:
        db = os.path.join(tmp, "floor-%s.db" % mode)
        p = subprocess.run([exe] + import_floors.MODES[mode] + [csv_path, db, "4"], capture_output=True, text=True)
        assert p.returncode == 0, "floor %s exited %d: %s" % (mode, p.returncode, p.stderr)
        assert p.stdout.strip() == str(n), "floor %s wrote %s rows of %d" % (mode, p.stdout.strip(), n)
        out[mode] = db
    return real, out, n


def rows_of_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_units_floor(real, db, n):
    assert schema(db, ("units", "units_fts")) == schema(real, ("units", "units_fts")), \
        "the units table, its indexes, FTS5 table or triggers differ from the store's"
    assert rows(db, "SELECT type, name FROM sqlite_master WHERE tbl_name IN ('events', 'changes')") == []
    got, want = rows(db, "SELECT %s FROM units ORDER BY rowid" % UNIT_COLS), \
        rows(real, "SELECT %s FROM units ORDER BY rowid" % UNIT_COLS)
    assert len(got) == n, "%d units of %d" % (len(got), n)
    assert got == want, "first differing unit: %r against %r" % next((a, b) for a, b in zip(got, want) if a != b)
    assert [r[0] for r in rows(db, "SELECT rowid FROM units ORDER BY sort_key")] == list(range(1, n + 1)), \
        "the rows are not in tree order"
    con = sqlite3.connect(db)
    try:
        con.execute("INSERT INTO units_fts(units_fts) VALUES ('integrity-check')")
    finally:
        con.close()
    for term in ("uy", "thanh*", "so tu phap", "h*"):
        q = "SELECT rowid FROM units_fts WHERE units_fts MATCH '%s' ORDER BY rowid" % term
        hits = rows(db, q)
        assert hits, "no unit matches %s" % term
        assert hits == rows(real, q), "the full-text index answers %s differently" % term


def test_events_floor(real, db, n):
    assert schema(db, TABLES) == schema(real, TABLES), "the units or event tables differ from the store's"
    got, want = rows(db, "SELECT %s FROM events ORDER BY seq" % EVENT_COLS), \
        rows(real, "SELECT %s FROM events ORDER BY seq" % EVENT_COLS)
    assert len(got) == n, "%d events of %d" % (len(got), n)
    for a, b in zip(got, want):
        assert a[:-1] == b[:-1], "event %r against %r" % (a[:-1], b[:-1])
        assert json.loads(a[-1]) == json.loads(b[-1]), "event %d's data: %s against %s" % (a[0], a[-1], b[-1])
    assert rows(db, "SELECT actor FROM changes") == rows(real, "SELECT actor FROM changes")


def test_figures():
    def t(wall, cpu):
        return {"wall": wall, "cpu": cpu}
    subj, ref = [t(3.0, 2.8), t(2.8, 2.6)], [t(0.4, 0.35), t(0.5, 0.36)]
    floors = {"units": [t(1.2, 1.0), t(1.0, 0.9)], "events": [t(1.6, 1.5), t(1.7, 1.4)]}
    by = {r["name"]: r for r in import_floors.figures(subj, ref, floors, 2)}
    assert sorted(by) == ["import_structures_events_floor", "import_structures_floor", "import_vs_structures_floor"]
    for r in by.values():
        assert r["goal"] == report.INFORMATIONAL and r["informational"] and r["met"], r
    assert (by["import_structures_floor"]["value"], by["import_structures_floor"]["ratio"]) == (1.0, 2.5)
    assert (by["import_structures_events_floor"]["value"], by["import_structures_events_floor"]["ratio"]) == (1.6, 4.0)
    assert (by["import_vs_structures_floor"]["value"], by["import_vs_structures_floor"]["ratio"]) == (2.8, 1.75)
    assert "ratio 2.57" in by["import_structures_floor"]["note"], by["import_structures_floor"]["note"]
    assert "ratio 1.86" in by["import_vs_structures_floor"]["note"], by["import_vs_structures_floor"]["note"]


def main():
    with tempfile.TemporaryDirectory(prefix="lt-bench-floors-") as tmp:
        box = {}
        case("the floors run on the import's CSV", lambda: box.update(zip(("real", "floors", "n"), fixture(tmp))))
        if box:
            case("floor (a) writes the units, their indexes and FTS5 index as the import does",
                 lambda: test_units_floor(box["real"], box["floors"]["units"], box["n"]))
            case("floor (b) also writes the event log as the import does",
                 lambda: test_events_floor(box["real"], box["floors"]["events"], box["n"]))
        case("the floors' figures are informational, with their ratios", test_figures)
    finish()


if __name__ == "__main__":
    main()
