"""100,000-row imports through the real CLI: import -> export -> import gives
the same export, and a SIGKILL in the middle of an import leaves a database
that passes integrity_check and holds none of the rows."""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltgen  # noqa: E402
from ltcli import CLI, case, finish, run  # noqa: E402

SOURCE = os.environ["LT_SOURCE_DIR"]
ROWS = 100_000


def test_roundtrip(tmp, gen):
    e1, e2 = os.path.join(tmp, "e1.csv"), os.path.join(tmp, "e2.csv")
    run(os.path.join(tmp, "a.db"), "import", gen)
    run(os.path.join(tmp, "a.db"), "export", "-o", e1)
    run(os.path.join(tmp, "b.db"), "import", e1)
    run(os.path.join(tmp, "b.db"), "export", "-o", e2)
    with open(e1, "rb") as f1, open(e2, "rb") as f2:
        a, b = f1.read(), f2.read()
    assert a == b, "second export differs from the first"
    lines = a.count(b"\n") - 1
    assert lines >= ROWS, "export holds %d units, expected at least %d" % (lines, ROWS)


def test_kill_mid_import(tmp, gen):
    db = os.path.join(tmp, "c.db")
    env = dict(os.environ, LIENTHONG_DB=db)
    proc = subprocess.Popen([CLI, "import", gen], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until the transaction is well under way: its pages spill into the WAL.
    deadline = time.time() + 60
    wal = db + "-wal"
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(wal) and os.path.getsize(wal) > 4 * 1024 * 1024:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "units" in tables:
        n = con.execute("SELECT count(*) FROM units").fetchone()[0]
        assert n == 0, "%d rows of the killed import are visible" % n
        n = con.execute("SELECT count(*) FROM events").fetchone()[0]
        assert n == 0, "%d events of the killed import are visible" % n
    con.close()
    # And the registry opens and works afterwards.
    run(db, "import", os.path.join(SOURCE, "data", "level1.csv"))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen.csv")
        ltgen.write_csv(ltgen.tree(SOURCE, ROWS), gen)
        case("import-export-import of 100,000 rows", lambda: test_roundtrip(tmp, gen))
        case("SIGKILL in the middle of an import", lambda: test_kill_mid_import(tmp, gen))
    finish()


if __name__ == "__main__":
    main()
