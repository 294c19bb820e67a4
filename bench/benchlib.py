"""Shared pieces of the benchmarks: the daemon and nginx as child processes,
wrk runs, a one-connection latency client, peak RSS and CPU time from /proc,
and timed child processes. Python 3 standard library only."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
BUILD = os.environ.get("LT_BUILD_DIR", os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "lienthong")
DAEMON = os.path.join(BUILD, "lienthongd")
WRK_SCRIPT = os.path.join(BENCH, "wrk", "random_path.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")
T0 = time.monotonic()


def log(msg):
    print("bench [%5.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def need(tool):
    path = shutil.which(tool) or (os.path.exists("/usr/sbin/" + tool) and "/usr/sbin/" + tool)
    if not path:
        raise BenchError("%s is not installed; `make bench` installs it (scripts/deps --bench)" % tool)
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fold(text):
    """Lower case without diacritics, as a user types a search: 'Đắk Mil' -> 'dak mil'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


# ---------------------------------------------------------------- /proc


def proc_status_kb(pid, key):
    """A kB field of /proc/PID/status (VmHWM: peak resident set size)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid):
    """User + system CPU seconds of a process, all its threads."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


PEAKRSS = None  # bench/peakrss.c, built by build_helpers()


def build_helpers(tmp):
    """Compiles bench/peakrss.c and bench/ref_import.c into tmp."""
    global PEAKRSS
    cc = os.environ.get("CC", "cc")
    out = {}
    for name, libs in (("peakrss", []), ("ref_import", ["-lsqlite3"])):
        exe = os.path.join(tmp, name)
        p = subprocess.run([cc, "-O2", "-o", exe, os.path.join(BENCH, name + ".c")] + libs,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError("cannot build bench/%s.c: %s" % (name, p.stderr))
        out[name] = exe
    PEAKRSS = out["peakrss"]
    return out


def timed(cmd, env=None, stdout=None, stderr=None):
    """Runs cmd; returns wall seconds, CPU seconds (user+sys) and peak RSS
    in kB of the command itself (through bench/peakrss.c), and its exit
    status."""
    rfile = os.path.join(os.path.dirname(PEAKRSS), "peakrss.out")
    t = time.monotonic()
    p = subprocess.run([PEAKRSS, rfile] + cmd, env=env, stdout=stdout or subprocess.DEVNULL,
                       stderr=stderr or subprocess.DEVNULL)
    wall = time.monotonic() - t
    try:
        with open(rfile) as f:
            rss, user, sys_ = f.read().split()
        os.remove(rfile)
    except (OSError, ValueError):
        rss, user, sys_ = 0, 0, 0
    return {"wall": wall, "cpu": float(user) + float(sys_), "user": float(user), "sys": float(sys_),
            "maxrss_kb": int(rss), "rc": p.returncode}


# ---------------------------------------------------------------- servers


def lt_env(tmp, db, **extra):
    env = dict(os.environ)
    env.update({"LIENTHONG_DB": db, "LIENTHONG_DATA_DIR": os.path.join(tmp, "data"),
                "LIENTHONG_DATA": os.path.join(ROOT, "data")})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Daemon:
    """build/lienthongd on a free loopback port, access log off."""

    def __init__(self, tmp, db, threads, name="lienthongd"):
        self.log_path = os.path.join(tmp, name + ".log")
        self.env = lt_env(tmp, db, LIENTHONG_LISTEN="127.0.0.1:0", LIENTHONG_ACCESS_LOG="",
                          LIENTHONG_THREADS=threads, LIENTHONG_LOG_LEVEL="info")
        self.threads = threads
        self.proc = None
        self.port = None

    def start(self):
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([DAEMON], env=self.env, stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("lienthongd exited with %d:\n%s" % (self.proc.returncode, self.log_text()))
            m = re.search(r"\(port (\d+)\)", self.log_text())
            if m:
                self.port = int(m.group(1))
                if http_get(self.port, "/healthz")[0] == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise BenchError("lienthongd did not answer /healthz within 15 s:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def peak_rss_kb(self):
        return proc_status_kb(self.proc.pid, "VmHWM")

    def cpu_seconds(self):
        return proc_cpu_seconds(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()


NGINX_CONF = """# written by bench/benchlib.py: the look-up benchmark's reference
{user}
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    open_file_cache max=20000 inactive=60s;
    types {{ }}
    default_type "application/json; charset=utf-8";
    server {{
        listen 127.0.0.1:{port};
        root {root};
        add_header Cache-Control no-cache;
        add_header X-Content-Type-Options nosniff;
    }}
}}
"""


class Nginx:
    """nginx serving files under root on a free loopback port: 2 workers
    (the issue's setting), access log off, keep-alive as long as wrk wants."""

    def __init__(self, tmp, root, workers=2):
        self.tmp, self.root, self.workers = tmp, root, workers
        self.proc = None
        self.port = None

    def start(self):
        binary = need("nginx")
        conf = os.path.join(self.tmp, "nginx.conf")
        for attempt in range(5):
            self.port = free_port()
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(user="user root;" if os.geteuid() == 0 else "", workers=self.workers,
                                          tmp=self.tmp, port=self.port, root=self.root))
            self.errf = open(os.path.join(self.tmp, "nginx-stderr.log"), "w")
            self.proc = subprocess.Popen([binary, "-p", self.tmp, "-c", conf, "-e",
                                          os.path.join(self.tmp, "nginx-error.log")],
                                         stdout=self.errf, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if http_get(self.port, "/")[0] in (200, 403, 404) and len(children_of(self.proc.pid)) >= self.workers:
                    return self
                time.sleep(0.05)
            self.stop()
        with open(os.path.join(self.tmp, "nginx-error.log"), errors="replace") as f:
            raise BenchError("nginx did not start:\n" + f.read())

    def pids(self):
        return [self.proc.pid] + children_of(self.proc.pid)

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def peak_rss_kb(self):
        """Master and workers together."""
        return sum(proc_status_kb(p, "VmHWM") for p in self.pids())

    def cpu_seconds(self):
        return sum(proc_cpu_seconds(p) for p in self.pids())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "errf", None):
            self.errf.close()


# ---------------------------------------------------------------- clients


def http_get(port, path, timeout=2):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except OSError:
        return 0, b""


def write_paths(path, paths):
    with open(path, "w") as f:
        f.write("\n".join(paths) + "\n")
    return path


def wrk(url, paths_file, seconds, connections=64, threads=2, server=None):
    """One wrk run with the random-path script; returns its figures, with
    req/s and the server's CPU use (cores) over the run."""
    binary = need("wrk")
    env = dict(os.environ, BENCH_PATHS=paths_file)
    cpu0 = server.cpu_seconds() if server else 0.0
    t = time.monotonic()
    p = subprocess.run([binary, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
                        "--timeout", "5s", "-s", WRK_SCRIPT, url + "/"], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t
    m = re.search(r"^BENCH (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise BenchError("wrk failed (%d): %s %s" % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in r if k.startswith("errors_"))
    if server:
        r["server_cpu_cores"] = (server.cpu_seconds() - cpu0) / wall
        settle(server)
    if r["requests"] == 0 or r["errors"] > r["requests"] * 0.01:
        raise BenchError("wrk against %s: %d errors in %d requests (non-2xx or socket errors)"
                         % (url, r["errors"], r["requests"]))
    return r


def settle(server, limit=15.0):
    """Waits until the server has worked off what wrk left in flight when it
    stopped (64 slow searches take a while), so the next run starts clean."""
    stop = time.monotonic() + limit
    while time.monotonic() < stop:
        c0 = server.cpu_seconds()
        time.sleep(0.2)
        if server.cpu_seconds() - c0 < 0.02:
            return


def latency_run(port, paths, seconds, rnd):
    """Sequential GETs on one keep-alive connection for about `seconds`;
    returns [(path, seconds)] in order. Every answer must be 200."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    stop = time.monotonic() + seconds
    clock = time.perf_counter
    while time.monotonic() < stop:
        path = paths[rnd.randrange(len(paths))]
        t = clock()
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        dt = clock() - t
        if r.status != 200:
            raise BenchError("GET %s answered %d" % (path, r.status))
        out.append((path, dt))
    c.close()
    return out


def percentile(values, p):
    v = sorted(values)
    if not v:
        return 0.0
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
