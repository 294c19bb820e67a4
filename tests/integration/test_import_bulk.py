"""Large imports through the real CLI: the bulk path (secondary indexes
dropped and built again inside the import's transaction, rows staged on
disk, the registry's codes merged with the rows in one ordered pass, and
for fresh codes the indexes by code built after the rows) keeps the
all-or-nothing rule, leaves the schema as it found it, refuses what the
per-row look-ups refused with the same report, keeps as-of reads, and holds
an import's memory flat whatever its size."""
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltgen  # noqa: E402
from ltcli import CLI, case, finish, run  # noqa: E402

BUILD = os.environ["LT_BUILD_DIR"]
SOURCE = os.environ["LT_SOURCE_DIR"]
BASE = 3_000  # units below level 1 already in the registry
LARGE = 12_000  # units of the large import: more than the registry's events, so the bulk path rebuilds
CACHE_MIB = 4  # db_cache_mib of the memory case


def read(path):
    with open(path, "rb") as f:
        return f.read()


def state(db):
    """What a refused import must leave as it was: the feed's end, the units,
    and every table, index and trigger of the schema."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {"seq": con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0],
                "units": con.execute("SELECT count(*) FROM units").fetchone()[0],
                "changes": con.execute("SELECT count(*) FROM changes").fetchone()[0],
                "schema": sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
                                 key=lambda r: (r[0], r[1]))}
    finally:
        con.close()


def write_rows(path, rows):
    ltgen.write_csv(rows, path)


def test_bad_last_row(tmp, base_rows, large_rows):
    db = os.path.join(tmp, "a.db")
    base, large = os.path.join(tmp, "base.csv"), os.path.join(tmp, "large.csv")
    write_rows(base, base_rows)
    run(db, "import", base)
    e0, e1 = os.path.join(tmp, "e0.csv"), os.path.join(tmp, "e1.csv")
    run(db, "export", "-o", e0)
    before = state(db)
    bad = [dict(r) for r in large_rows]
    bad[-1]["email"] = "khong-phai-email"
    write_rows(large, bad)
    p = run(db, "import", large, check=False)
    assert p.returncode != 0, "an import with a bad last row succeeded"
    assert "line %d" % (len(bad) + 1) in p.stderr, "the bad row's line is not reported: %s" % p.stderr[-500:]
    assert "email" in p.stderr, "the bad row's column is not reported: %s" % p.stderr[-500:]
    run(db, "export", "-o", e1)
    assert read(e0) == read(e1), "the export changed after a refused import"
    after = state(db)
    assert after == before, "the refused import left something: %s" % {
        k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # The same file without its bad row goes in whole, and the schema is
    # the one it was before (the indexes built again, the triggers back).
    write_rows(large, large_rows)
    run(db, "import", large)
    done = state(db)
    assert done["units"] == before["units"] + len(large_rows), "%d units, expected %d" % (
        done["units"], before["units"] + len(large_rows))
    assert done["seq"] == before["seq"] + len(large_rows), "the feed has %d events, expected %d" % (
        done["seq"], before["seq"] + len(large_rows))
    assert done["schema"] == before["schema"], "the schema differs after a bulk import"
    # The rebuilt indexes answer: a unit by its parent, one by a word of its name.
    child = large_rows[-1]
    out = run(db, "unit", "children", child["parent"]).stdout
    assert child["code"] in out, "%s is not among the children of %s" % (child["code"], child["parent"])
    out = run(db, "unit", "search", child["name"], "--parent", child["parent"]).stdout
    assert child["code"] in out, "a name search does not find %s" % child["code"]
    return db


def test_as_of_after_upsert(tmp, db, large_rows):
    """Corrections after a bulk import: the registry before them still reads
    as it was (as-of export), the current one shows them."""
    asof = "2025-01-01"
    a0, a1, c1 = (os.path.join(tmp, n) for n in ("asof0.csv", "asof1.csv", "cur1.csv"))
    run(db, "export", "--as-of", asof, "-o", a0)
    fixed = [dict(r, name=r["name"] + " (sửa)") for r in large_rows[:200]]
    up = os.path.join(tmp, "upsert.csv")
    write_rows(up, fixed)
    seq0 = state(db)["seq"]
    out = run(db, "import", "--upsert", up).stdout
    assert "200 updated" in out, out
    assert state(db)["seq"] == seq0 + 200, "a correction without its event"
    run(db, "export", "--as-of", asof, "-o", a1)
    assert read(a0) == read(a1), "the as-of export changed after corrections made later"
    run(db, "export", "-o", c1)
    text = read(c1).decode()
    assert text.count(" (sửa)") == 200, "the current export shows %d corrections" % text.count(" (sửa)")


DECISION = ["--decision-number", "12/QĐ-UBND", "--decision-date", "2024-05-02",
            "--decision-issuer", "Ủy ban nhân dân"]


def report(db, *args):
    """The CLI's JSON report of an import and its exit status."""
    p = run(db, "--json", "import", *args, check=False)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        raise AssertionError("import printed no JSON report (exit %d): %s" % (p.returncode, p.stderr[-500:]))


def test_duplicate_in_bulk(tmp, base_rows, large_rows):
    """A code on two rows of an import of fresh codes (the path that builds
    the indexes by code after the rows) is refused as a smaller import
    refuses it, naming the first line, and nothing is written."""
    db = os.path.join(tmp, "dup.db")
    base, large = os.path.join(tmp, "dup-base.csv"), os.path.join(tmp, "dup-large.csv")
    write_rows(base, base_rows)
    run(db, "import", base)
    before = state(db)
    twice = dict(large_rows[100], name=large_rows[100]["name"] + " (lần hai)")
    write_rows(large, large_rows + [twice])
    rc, rep = report(db, large)
    assert rc != 0, "an import with a code on two rows succeeded"
    assert (rep["refused"], rep["imported"]) == (1, 0), rep
    errors = [{k: e[k] for k in ("line", "code", "error", "reason")} for e in rep["errors"]]
    assert errors == [{"line": len(large_rows) + 2, "code": twice["code"], "error": "duplicate_row",
                       "reason": "duplicate: the same code is on line 102"}], errors
    assert state(db) == before, "the refused import left something"


def test_merge_into_a_registry(tmp, base_rows, large_rows):
    """An upsert at least as large as the registry's event log takes the
    ordered merge instead of a look-up per row: a code the registry holds
    is still found (an equal row unchanged, a different one corrected), a
    closed code and a code only the event log remembers are refused with
    the reasons the look-ups gave, and fresh codes go in."""
    n1 = len(ltgen.level1_rows(SOURCE))
    db = os.path.join(tmp, "merge.db")
    base = os.path.join(tmp, "merge-base.csv")
    write_rows(base, base_rows)
    run(db, "import", base)
    parents = {r["parent"] for r in base_rows + large_rows}
    closed = dict(next(r for r in base_rows[n1:] if r["code"] not in parents))
    same, fixed = (dict(r) for r in [r for r in base_rows[n1:] if r["code"] != closed["code"]][:2])
    run(db, "unit", "dissolve", closed["code"], *DECISION)
    # A code only the event log holds: issued once, its unit row gone.
    gone = "998" + closed["code"][3:]
    assert all(r["code"] != gone for r in base_rows + large_rows)
    con = sqlite3.connect(db)
    with con:
        data = json.loads(con.execute("SELECT data FROM events WHERE code = ?", (closed["code"],)).fetchone()[0])
        data["unit"]["code"] = gone
        con.execute("INSERT INTO events (seq, change_id, kind, code, parent, sort_key, at, effective, data) "
                    "SELECT max(seq) + 1, 1, 'import', ?, ?, ?, '2024-01-01T00:00:00Z', '2024-01-01', ? FROM events",
                    (gone, closed["parent"], ".".join(reversed(gone.split("."))), json.dumps(data)))
    con.close()
    before = state(db)
    fixed["name"] += " (sửa)"
    reused = dict(closed, code=gone)
    assert len(large_rows) + 4 >= before["seq"], "the import is not as large as the event log"
    up = os.path.join(tmp, "merge-up.csv")
    write_rows(up, [same, fixed, closed, reused] + large_rows)
    rc, rep = report(db, "--upsert", up)
    assert rc != 0, "an import reusing closed codes succeeded"
    got = sorted((e["line"], e["code"], e["error"], e["reason"]) for e in rep["errors"])
    assert [g[:3] for g in got] == [(4, closed["code"], "closed"), (5, gone, "closed")], got
    assert got[0][3].startswith("closed code reused: %s was closed on " % closed["code"]), got[0]
    assert got[1][3] == "closed code reused: %s was issued before and is never reissued" % gone, got[1]
    assert state(db) == before, "the refused import left something"
    write_rows(up, [same, fixed] + large_rows)
    rc, rep = report(db, "--upsert", up)
    assert rc == 0, rep["errors"][:3]
    counts = {k: rep[k] for k in ("inserted", "updated", "unchanged", "refused")}
    assert counts == {"inserted": len(large_rows), "updated": 1, "unchanged": 1, "refused": 0}, counts
    after = state(db)
    assert after["units"] == before["units"] + len(large_rows)
    assert after["seq"] == before["seq"] + len(large_rows) + 1, "a correction or insert without its event"
    assert after["schema"] == before["schema"], "the schema differs after the import"
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT name, version FROM units WHERE code = ?", (fixed["code"],)).fetchone()
    finally:
        con.close()
    assert row == (fixed["name"], 2), row


def peak_rss_mib(db, path):
    """The import's own peak: VmHWM of its process, read until it exits
    (ru_maxrss would count the pages it had as a fork of this driver)."""
    run(db, "init")
    env = dict(os.environ, LIENTHONG_DB=db, LIENTHONG_DB_CACHE_MIB=str(CACHE_MIB))
    peak = 0
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([CLI, "import", path], env=env, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.002)
        err.seek(0)
        assert proc.returncode == 0, "import exited %d: %s" % (proc.returncode, err.read()[-500:])
    assert peak > 0, "no VmHWM read"
    return peak / 1024.0


def test_memory_flat(tmp):
    """N and 4N rows, SQLite's page cache configured small enough that both
    fill it: the peak grows by far less than the rows read (the import held
    every row, about 700 bytes each, before they were staged on disk)."""
    small, big = 8_000, 32_000
    fs, fb = os.path.join(tmp, "m1.csv"), os.path.join(tmp, "m4.csv")
    ltgen.write_units_csv(SOURCE, fs, small)
    ltgen.write_units_csv(SOURCE, fb, big)
    r1 = peak_rss_mib(os.path.join(tmp, "m1.db"), fs)
    r4 = peak_rss_mib(os.path.join(tmp, "m4.db"), fb)
    print("      peak RSS: %.1f MiB for %d rows, %.1f MiB for %d" % (r1, small, r4, big))
    assert r4 - r1 < 6, "peak RSS grew by %.1f MiB from %d to %d rows" % (r4 - r1, small, big)


def sanitized():
    return "asan" in os.path.basename(os.path.normpath(BUILD)) or "ASAN_OPTIONS" in os.environ


def main():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with tempfile.TemporaryDirectory() as tmp:
        tree = ltgen.tree(SOURCE, BASE + LARGE)
        n1 = len(ltgen.level1_rows(SOURCE))
        base_rows, large_rows = tree[:n1 + BASE], tree[n1 + BASE:]
        box = {}
        case("a bad last row of a large import changes nothing",
             lambda: box.update(db=test_bad_last_row(tmp, base_rows, large_rows)))
        if "db" in box:
            case("as-of exports after corrections of a bulk import",
                 lambda: test_as_of_after_upsert(tmp, box["db"], large_rows))
        case("a code on two rows of a bulk import of fresh codes: the same report",
             lambda: test_duplicate_in_bulk(tmp, base_rows, large_rows))
        case("a bulk upsert merges with the registry's codes: found, corrected, closed and reissued as before",
             lambda: test_merge_into_a_registry(tmp, base_rows, large_rows))
        if sanitized():
            print("skip  an import's memory does not grow with its rows (sanitizers change what RSS means)")
        else:
            case("an import's memory does not grow with its rows", lambda: test_memory_flat(tmp))
    finish()


if __name__ == "__main__":
    main()
