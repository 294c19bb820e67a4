"""Shared helpers for the daemon's integration tests (test_daemon_*.py): a
scratch registry made by `lienthong init --demo`, tokens and systems made by
the CLI, and `lienthongd` started on a free port of 127.0.0.1 with its own
database, data directory and access log, plus a small HTTP client that
never follows redirects, never retries and has a timeout on every socket
operation.

Every daemon started here is remembered; `main()` prints the tail of the
stderr of each one when a test failed, and kills any still running.

Standard library only. LT_BUILD_DIR and LT_SOURCE_DIR come from ctest; by
hand they fall back to <repo>/build and <repo>.

LT_TEST_DB=postgres puts each scratch registry in a new database of a
throw-away PostgreSQL cluster (ltpg.py) instead of an SQLite file; the
daemons and the CLI then run on it. Anything else, or unset: SQLite.
"""

import csv
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.environ.get("LT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.path.abspath(os.environ.get("LT_BUILD_DIR") or os.path.join(SOURCE_DIR, "build"))
CLI = os.path.join(BUILD_DIR, "lienthong")
DAEMON = os.path.join(BUILD_DIR, "lienthongd")
DATA_DIR = os.path.join(SOURCE_DIR, "data")

# Both binaries read LIENTHONG_TODAY, so "today" is the same for the daemon,
# the CLI and the expectations of the tests.
TODAY = "2026-11-23"

QN, DN, CB = "000.00.00.H47", "000.00.00.H17", "000.00.00.H14"  # Quảng Nam, Đà Nẵng, Cao Bằng
CB_TU_PHAP = "000.00.04.H14"  # Sở Tư pháp tỉnh Cao Bằng (no children)
CB_Y_TE = "000.00.05.H14"  # Sở Y tế: a level-3 and a level-4 unit below
CB_TP = "000.00.31.H14"  # UBND thành phố Cao Bằng (4 communes)

DECISION = {"number": "1234/QĐ-UBND", "date": "2026-11-02", "issuer": "Ủy ban nhân dân tỉnh Cao Bằng"}

EXPORT_FIELDS = ["code", "name", "parent", "address", "email", "phone", "fax", "website",
                 "decision_number", "decision_date", "decision_issuer", "valid_from"]

_daemons = []  # every Daemon started, for the failure report


def backend_db(directory):
    """The db setting of a new scratch registry: an SQLite file in directory,
    or (LT_TEST_DB=postgres) a new PostgreSQL database."""
    if ON_POSTGRES:
        import ltpg
        return ltpg.new_database()
    return os.path.join(directory, "t.db")


ON_POSTGRES = os.environ.get("LT_TEST_DB") == "postgres"

# For a test that reads or damages the SQLite file itself.
sqlite_only = unittest.skipIf(ON_POSTGRES, "works on the SQLite file itself (LT_TEST_DB=postgres)")
# lienthong backup copies the SQLite store; PostgreSQL is backed up by its
# own tools (test_pg_store.py checks backup says so).
sqlite_backup = unittest.skipIf(ON_POSTGRES, "lienthong backup is SQLite's; PostgreSQL has pg_basebackup")


def clean_env(**extra):
    """The caller's environment without any LIENTHONG_* override, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port():
    """A port nobody listens on right now (the daemon may still lose a race
    for it; Daemon.start retries with another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def detail(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


class Registry:
    """A scratch directory with its own database and data directory,
    initialised with the demo tree unless demo is None."""

    def __init__(self, prefix="lt_test_daemon_", demo=True, today=TODAY):
        self.tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self.dir = self.tmp.name
        self.db = backend_db(self.dir)
        self.data_dir = os.path.join(self.dir, "data")
        self.today = today
        extra = dict(LIENTHONG_DB=self.db, LIENTHONG_DATA_DIR=self.data_dir, LIENTHONG_DATA=DATA_DIR)
        if today:
            extra["LIENTHONG_TODAY"] = today
        self.env = clean_env(**extra)
        if demo is not None:
            self.check(*(["init", "--demo"] if demo else ["init"]))

    def close(self):
        self.tmp.cleanup()

    def sql(self, statement):
        """Runs one SQL statement on the registry's database behind the
        daemon's back (a test ageing its rows), whichever the backend."""
        if ON_POSTGRES:
            import ltpg
            ltpg.cluster().psql(statement, dbname=self.db.split("?")[0].split("/")[-1])
            return
        import sqlite3
        with sqlite3.connect(self.db) as db:
            db.execute(statement)

    def run(self, *args):
        return subprocess.run([CLI, *args], cwd=self.dir, env=self.env, capture_output=True,
                              encoding="utf-8", errors="replace", timeout=60)

    def check(self, *args):
        p = self.run(*args)
        if p.returncode != 0:
            raise AssertionError(f"lienthong {' '.join(args)} failed:\n{detail(p)}")
        return p.stdout

    def token(self, role, scope=None, name=None):
        args = ["token", "create", "--role", role]
        if scope:
            args += ["--scope", scope]
        if name:
            args += ["--name", name]
        tok = self.check(*args).strip()
        if not tok or "\n" in tok:
            raise AssertionError(f"token create printed {tok!r}, not one token")
        return tok

    def system_add(self, name, *codes):
        args = ["system", "add", "--name", name]
        for c in codes:
            args += ["--code", c]
        return json.loads(self.check(*args, "--json"))

    def export_text(self, *args):
        p = subprocess.run([CLI, "export", *args], cwd=self.dir, env=self.env, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"export failed: {p.returncode} {p.stderr!r}")
        return p.stdout.decode("utf-8")

    def export(self, *args):
        """`lienthong export` as a dict code -> row (all columns strings)."""
        rows = list(csv.DictReader(io.StringIO(self.export_text(*args))))
        return {r["code"]: r for r in rows}


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.body = body

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise AssertionError(f"reply is not JSON ({e}): {self!r}")

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self):
        b = self.text()
        if len(b) > 600:
            b = b[:600] + f"... ({len(self.body)} bytes)"
        return f"<HTTP {self.status} {self.reason} {b}>"


class Daemon:
    """lienthongd on a free port of 127.0.0.1, on the database of a Registry.
    env: extra LIENTHONG_<KEY> settings without the prefix, e.g.
    Daemon(reg, PUBLIC_READ="false")."""

    def __init__(self, registry, **env):
        self.reg = registry
        self.extra = {f"LIENTHONG_{k.upper()}": str(v) for k, v in env.items()}
        self.proc = None
        self.port = None
        self.n = len(_daemons)
        self.access_log = os.path.join(registry.dir, f"access{self.n}.log")
        self.stderr_path = os.path.join(registry.dir, f"daemon{self.n}.stderr")
        self.stderr_saved = ""
        self.exit_code = None
        _daemons.append(self)

    # ---- life cycle ----

    def start(self, timeout=15, port=None):
        """Starts it on a free port, or on port (a restart behind a load
        balancer that knows it), and waits for /healthz."""
        last = ""
        for _ in range(8):
            self.port = port or free_port()
            env = dict(self.reg.env)
            env.update(LIENTHONG_LISTEN=f"127.0.0.1:{self.port}", LIENTHONG_ACCESS_LOG=self.access_log)
            # The source tree's web/, whichever directory the binaries were built in.
            env.setdefault("LIENTHONG_WEB_DIR", os.path.join(SOURCE_DIR, "web"))
            env.update(self.extra)
            self._err = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen([DAEMON], cwd=self.reg.dir, env=env, stdin=subprocess.DEVNULL,
                                         stdout=self._err, stderr=self._err)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    r = self.request("GET", "/healthz", timeout=2)
                    if r.status == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            last = self.stderr()
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError(f"lienthongd did not answer /healthz within {timeout}s:\n{last}")
            self._err.close()
            if "cannot listen" not in last:
                break  # not a port race: no point in retrying
            if port:
                time.sleep(0.25)  # the same port again, once its holder has let go
        raise AssertionError(f"lienthongd did not start (exit {self.proc.returncode}):\n{last}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """The exit status within timeout seconds, or None while it runs."""
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, timeout=10):
        """SIGTERM, then the exit status (None when it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
        self._save()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._save()

    def _save(self):
        try:
            self._err.close()
        except Exception:
            pass
        s = self.stderr()
        if s:
            self.stderr_saved = s

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return self.stderr_saved

    def sanitizer_lines(self):
        """Lines of a sanitizer report (build-asan) in the daemon's stderr, and
        the daemon's own "BUG:" lines (a failure whose status was lost)."""
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                 "BUG: ")
        return [line for line in self.stderr().splitlines() if any(m in line for m in marks)]

    def access_lines(self, at_least=0, timeout=5.0):
        """The access log's lines; with at_least, waits up to timeout for
        that many, since a line is written after its reply is sent (by the
        daemon's log thread, up to 20 ms later): the lines are read until
        they stop changing for 50 ms."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            with open(self.access_log, "rb") as f:
                lines = f.read().decode("utf-8", errors="replace").splitlines()
            if (len(lines) >= at_least and lines == last) or time.monotonic() > deadline:
                return lines
            last = lines if len(lines) >= at_least else None
            time.sleep(0.05 if last is not None else 0.02)

    # ---- HTTP ----

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, token=None, headers=None, timeout=15):
        """One request on a fresh connection. body: dict/list (sent as JSON),
        bytes or str (sent as they are, with Content-Type application/json
        unless headers say otherwise)."""
        h = {"Accept": "application/json"}
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = body
            h["Content-Type"] = "application/json"
        if token:
            h["Authorization"] = f"Bearer {token}"
        if headers:
            h.update(headers)
        h = {k: v for k, v in h.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.reason, r.headers, r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def raw(self, data, timeout=10, read_timeout=None, shut=False):
        """Sends bytes on a new socket and reads until the server closes it
        (or read_timeout passes). Returns (bytes received, how it ended:
        'closed', 'reset' or 'timeout'). A send the server cuts short is
        not an error: the reply it sent first is still read."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        out = b""
        how = "closed"
        try:
            try:
                s.sendall(data)
                if shut:
                    s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            s.settimeout(read_timeout or timeout)
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    how = "timeout"
                    break
                except ConnectionResetError:
                    how = "reset"
                    break
                if not b:
                    break
                out += b
        finally:
            s.close()
        return out, how

    def last_seq(self):
        r = self.get("/healthz")
        if r.status != 200:
            raise AssertionError(f"/healthz: {r!r}")
        return r.json()["last_seq"]


def parse_raw_reply(data):
    """(status, headers dict lower-case, body) of the first HTTP reply in
    raw bytes; status 0 when there is none."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/1."):
        return 0, {}, data
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, data
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return status, headers, body


class DaemonTest(unittest.TestCase):
    """Asserts shared by the daemon tests. A class that keeps its daemon in
    cls.d and its registry in cls.reg gets them stopped and removed after its
    tests; a daemon that does not exit 0 on SIGTERM, or printed a sanitizer
    report, fails the class."""

    maxDiff = 4000

    @classmethod
    def tearDownClass(cls):
        try:
            d = getattr(cls, "d", None)
            if d is not None:
                rc = d.stop()
                bad = d.sanitizer_lines()
                if rc != 0 or bad:
                    raise AssertionError(f"lienthongd after SIGTERM: exit {rc} (None: killed)\n" + "\n".join(bad[:20]))
        finally:
            reg = getattr(cls, "reg", None)
            if reg is not None:
                reg.close()

    def assertStatus(self, r, status, msg=""):
        ok = r.status in status if isinstance(status, (tuple, list, set)) else r.status == status
        self.assertTrue(ok, f"expected HTTP {status}, got {r!r} {msg}")

    def assertError(self, r, status, code=None, contains=None, msg=""):
        """A JSON error reply {"error":{"code","message"}} with this status."""
        self.assertStatus(r, status, msg)
        ctype = r.header("Content-Type") or ""
        self.assertTrue(ctype.startswith("application/json"), f"error reply Content-Type {ctype!r}: {r!r}")
        e = r.json().get("error")
        self.assertIsInstance(e, dict, f"no error object: {r!r}")
        self.assertIsInstance(e.get("message"), str, f"no error message: {r!r}")
        self.assertTrue(e["message"].strip(), f"empty error message: {r!r}")
        if code:
            self.assertEqual(e.get("code"), code, f"{r!r} {msg}")
        if contains:
            self.assertIn(contains, e["message"], msg)
        return e


def assert_clean_stop(test, d, timeout=10):
    """SIGTERM: the daemon exits 0 in time, with no sanitizer report."""
    rc = d.stop(timeout)
    test.assertEqual(rc, 0, f"lienthongd exit status after SIGTERM (None: killed after {timeout}s)")
    test.assertFalse(d.sanitizer_lines(), "sanitizer report:\n" + "\n".join(d.sanitizer_lines()[:20]))


def main(module_name):
    """Runs the unittest cases of a module; prints 'N passed, M failed' and
    the daemons' stderr when something failed; returns the exit status."""
    for b in (CLI, DAEMON):
        if not os.access(b, os.X_OK):
            print(f"no binary at {b}: build first", file=sys.stderr)
            print("0 passed, 1 failed")
            return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_name])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    for d in _daemons:
        d.kill()
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    if failed:
        for d in _daemons:
            text = d.stderr_saved or d.stderr()
            if text:
                tail = "\n".join(text.splitlines()[-40:])
                print(f"---- stderr of daemon #{d.n} (port {d.port}, exit {d.exit_code}) ----\n{tail}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
