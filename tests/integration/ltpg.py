"""A throw-away PostgreSQL cluster for the integration tests.

`cluster()` starts one per test process on first use, through
scripts/pg-tmp (initdb + pg_ctl into a temporary directory, Unix socket
only, fsync on, as an unprivileged user when run as root), and stops and
removes it when the process exits: atexit, SIGTERM, SIGINT, and, should the
process be killed outright, pg-tmp's watchdog, which follows this process.
Nothing is left running.

`new_database()` gives the URI of a new, empty database on it, one per
scratch registry, so tests never see each other's rows.

Standard library only.
"""

import atexit
import itertools
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.environ.get("LT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE)))
PG_TMP = os.path.join(SOURCE_DIR, "scripts", "pg-tmp")


class Cluster:
    def __init__(self):
        p = subprocess.run([PG_TMP, "start"], capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"scripts/pg-tmp start failed (exit {p.returncode}):\n{p.stderr}")
        lines = p.stdout.splitlines()
        self.uri, self.dir = lines[0], lines[1]
        self.host = self.dir
        self._names = itertools.count(1)
        self.stopped = False

    def psql(self, sql, dbname="lt"):
        """Runs sql with psql as the cluster's owner role; returns stdout."""
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-U", "lt",
                            "-d", dbname, "-c", sql], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {p.stderr}")
        return p.stdout

    def new_database(self):
        name = f"lt_{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return f"postgresql://lt@/{name}?host={self.host}"

    def down(self):
        """Stops the server (fast: committed work stays), as a restart or a
        failover would; the cluster stays for up()."""
        subprocess.run([PG_TMP, "down", self.dir], check=True, capture_output=True, timeout=120)

    def up(self):
        subprocess.run([PG_TMP, "up", self.dir], check=True, capture_output=True, timeout=120)

    def stop(self):
        if not self.stopped:
            self.stopped = True
            subprocess.run([PG_TMP, "stop", self.dir], capture_output=True, timeout=120)


_cluster = None


def cluster():
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
        atexit.register(_cluster.stop)
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)

            def handler(signum, frame, previous=previous):
                _cluster.stop()
                if callable(previous):
                    previous(signum, frame)
                else:
                    sys.exit(128 + signum)

            signal.signal(sig, handler)
    return _cluster


def new_database():
    return cluster().new_database()
