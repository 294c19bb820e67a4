#!/usr/bin/env python3
"""Integration test: the Debian package and the man pages (issue 22, Debian
conventions).

scripts/deb (what `make deb` runs) builds the package from this build; its
contents are checked with dpkg-deb -I/-c: the binaries, the web UI, the data
tables, docs, both man pages, the conffile /etc/lienthong/lienthong.conf
pointing under /var/lib/lienthong, the hardened systemd unit (which
`systemd-analyze verify` accepts and `systemd-analyze security` rates OK,
when systemd-analyze is there) and the postinst that creates the system
user. Then the package is unpacked into a temporary root (dpkg -x: nothing
changes on this system), the installed `lienthong init` finds its tables,
and the unit's ExecStart line is run with the configuration pointed into
the temporary directory and a free port: /healthz, the web UI and a unit
answer, and SIGTERM stops it cleanly.

`lienthong --help` and man lienthong name the same commands, and
`lienthongd --help` and man lienthongd the same configuration keys; both
pages render without a warning.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import gzip
import http.client
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

HAVE_DPKG = all(shutil.which(t) for t in ("dpkg-deb", "dpkg-architecture", "dpkg-query"))
HAVE_WEB = os.path.exists(os.path.join(ltd.SOURCE_DIR, "web", "vendor", "chart.umd.min.js"))
HARDENING = ["ProtectSystem=strict", "ReadWritePaths=/var/lib/lienthong", "NoNewPrivileges=yes", "PrivateTmp=yes",
             "ProtectHome=yes", "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
             "SystemCallFilter=@system-service", "User=lienthong", "StateDirectory=lienthong",
             "MemoryDenyWriteExecute=yes", "PrivateDevices=yes"]
MUST_HOLD = ["./usr/bin/lienthong", "./usr/bin/lienthongd", "./usr/share/lienthong/web/index.html",
             "./usr/share/lienthong/web/assets/app.js", "./usr/share/lienthong/web/vendor/chart.umd.min.js",
             "./usr/share/lienthong/data/level1.csv",
             "./usr/share/lienthong/data/reform-2025/2025-07-01-10-da-nang.json",
             "./usr/share/man/man1/lienthong.1.gz",
             "./usr/share/man/man8/lienthongd.8.gz", "./usr/share/doc/lienthong/copyright",
             "./usr/share/doc/lienthong/operations.md", "./usr/share/doc/lienthong/config.md",
             "./lib/systemd/system/lienthong.service", "./etc/lienthong/lienthong.conf"]


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kw)


def help_commands():
    """The commands `lienthong --help` names, in order, each once (a
    command with many verbs may take several lines)."""
    out = run(ltd.CLI, "--help").stdout
    body = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    names = [line.split()[0] for line in body.splitlines() if line.strip()]
    return [n for i, n in enumerate(names) if n not in names[:i]]


def roff_section(text, name):
    m = re.search(rf"^\.SH {name}\n(.*?)(?=^\.SH )", text, re.S | re.M)
    assert m, f"no section {name}"
    return m.group(1)


def roff_tags(section):
    """The words of each .TP item's tag line, fonts and escapes removed."""
    lines = section.splitlines()
    tags = []
    for i, line in enumerate(lines[:-1]):
        if line == ".TP":
            tag = re.sub(r"^\.B[RI]? ", "", lines[i + 1])
            tags.append([w.strip('"') for w in re.sub(r"\\f[BIRP]", "", tag).replace("\\-", "-").split()])
    return tags


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@unittest.skipUnless(HAVE_DPKG, "dpkg-deb is not installed")
@unittest.skipUnless(HAVE_WEB, "web/vendor is missing: run make web")
class DebPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="lt_test_deb_")
        p = run(os.path.join(ltd.SOURCE_DIR, "scripts", "deb"), ltd.BUILD_DIR, os.path.join(cls.tmp.name, "out"))
        if p.returncode != 0:
            cls.tmp.cleanup()
            raise AssertionError(f"scripts/deb failed:\n{ltd.detail(p)}")
        cls.deb = p.stdout.strip().splitlines()[-1]
        cls.root = os.path.join(cls.tmp.name, "root")
        p = run("dpkg-deb", "-x", cls.deb, cls.root)
        assert p.returncode == 0, ltd.detail(p)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def field(self, name):
        p = run("dpkg-deb", "-f", self.deb, name)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        return p.stdout.strip()

    def test_control(self):
        self.assertEqual(self.field("Package"), "lienthong")
        version = run(ltd.CLI, "--version").stdout.split()[1]
        self.assertEqual(self.field("Version"), version)
        self.assertEqual(self.field("Architecture"), run("dpkg-architecture", "-qDEB_HOST_ARCH").stdout.strip())
        depends = [d.strip() for d in self.field("Depends").split(",")]
        for pkg in ("adduser", "libsqlite3-0", "libjansson4", "libmicrohttpd12", "libc6"):
            self.assertIn(pkg, depends)
        p = run("dpkg-deb", "-I", self.deb, "conffiles")
        self.assertEqual(p.stdout.split(), ["/etc/lienthong/lienthong.conf"])
        p = run("dpkg-deb", "-I", self.deb, "postinst")
        self.assertIn("adduser --system --group", p.stdout)
        self.assertIn('/usr/bin/lienthong -c "$CONF" init', p.stdout)
        for script in ("postinst", "prerm", "postrm"):
            text = run("dpkg-deb", "-I", self.deb, script).stdout
            self.assertTrue(text.startswith("#!/bin/sh\n"), script)
            p = run("sh", "-n", "-c", text)
            self.assertEqual(p.returncode, 0, f"{script}: {ltd.detail(p)}")
        p = run("dpkg-deb", "-I", self.deb, "md5sums")
        self.assertIn("usr/bin/lienthongd", p.stdout)

    def test_contents(self):
        p = run("dpkg-deb", "-c", self.deb)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        rows = [line.split(None, 5) for line in p.stdout.splitlines()]
        paths = {r[5].split(" -> ")[0] for r in rows}
        for path in MUST_HOLD:
            self.assertIn(path, paths)
        for r in rows:
            self.assertEqual(r[1], "root/root", r)
            self.assertFalse(r[0][5] == "w" or r[0][8] == "w", f"group or world writable: {r}")
            top = r[5].split("/")[1] if r[5] != "./" else ""
            self.assertIn(top, ("", "usr", "etc", "lib"), f"{r[5]} lies outside /usr, /etc and /lib")
        self.assertTrue(any(r[5] == "./usr/bin/lienthongd" and r[0].startswith("-rwxr-xr-x") for r in rows))
        # Nothing of the source tree's build or npm leftovers.
        self.assertFalse([x for x in paths if "node_modules" in x or "package-lock" in x])

    def test_config_and_unit(self):
        conf = open(os.path.join(self.root, "etc/lienthong/lienthong.conf")).read()
        self.assertRegex(conf, r"(?m)^db = /var/lib/lienthong/lienthong\.db$")
        self.assertRegex(conf, r"(?m)^data_dir = /var/lib/lienthong/data$")
        self.assertRegex(conf, r"(?m)^web_dir = /usr/share/lienthong/web$")
        unit = open(os.path.join(self.root, "lib/systemd/system/lienthong.service")).read()
        for line in HARDENING:
            self.assertRegex(unit, rf"(?m)^{re.escape(line)}$")
        self.assertRegex(unit, r"(?m)^ExecStart=/usr/bin/lienthongd -c /etc/lienthong/lienthong\.conf$")
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        # The unit as installed, its binary and man pages found in the
        # temporary root instead of /usr.
        local = os.path.join(self.tmp.name, "lienthong.service")
        with open(local, "w") as f:
            f.write(unit.replace("ExecStart=/usr/bin/", f"ExecStart={self.root}/usr/bin/"))
        env = dict(os.environ, MANPATH=os.path.join(self.root, "usr/share/man"))
        p = run("systemd-analyze", "verify", local, env=env)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), ltd.detail(p))
        p = run("systemd-analyze", "security", "--offline=yes", local)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", p.stdout + p.stderr)
        self.assertTrue(m, ltd.detail(p))
        self.assertLess(float(m.group(1)), 2.0, ltd.detail(p))

    def test_exec_start_serves(self):
        unit = open(os.path.join(self.root, "lib/systemd/system/lienthong.service")).read()
        argv = shlex.split(re.search(r"(?m)^ExecStart=(.*)$", unit).group(1))
        self.assertEqual(argv[0], "/usr/bin/lienthongd")
        conf_at = argv[argv.index("-c") + 1]
        state = os.path.join(self.tmp.name, "var/lib/lienthong")
        os.makedirs(state)
        port = ltd.free_port()
        conf = open(os.path.join(self.root, conf_at.lstrip("/"))).read()
        conf = conf.replace("/var/lib/lienthong", state).replace("/usr/share/lienthong", os.path.join(self.root, "usr/share/lienthong"))
        conf = re.sub(r"(?m)^listen = .*$", f"listen = 127.0.0.1:{port}", conf)
        local_conf = os.path.join(self.tmp.name, "lienthong.conf")
        with open(local_conf, "w") as f:
            f.write(conf)
        env = ltd.clean_env()
        # The daemon accepts the packaged configuration (its paths moved).
        p = run(os.path.join(self.root, "usr/bin/lienthongd"), "-c", local_conf, "-n", env=env)
        self.assertEqual((p.returncode, p.stdout), (0, "configuration OK\n"), ltd.detail(p))
        # What postinst runs on a first install: the installed CLI finds
        # its tables under its own prefix.
        p = run(os.path.join(self.root, "usr/bin/lienthong"), "-c", local_conf, "init", env=env, cwd=self.tmp.name)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        with open(os.path.join(ltd.DATA_DIR, "level1.csv"), encoding="utf-8") as f:
            n_level1 = sum(1 for _ in f) - 1  # one unit a line, after the header
        self.assertIn(f"{n_level1} level-1 units", p.stdout)
        cmd = [os.path.join(self.root, argv[0].lstrip("/"))] + [local_conf if a == conf_at else a for a in argv[1:]]
        err = open(os.path.join(self.tmp.name, "daemon.stderr"), "wb")
        proc = subprocess.Popen(cmd, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            deadline = time.monotonic() + 15
            health = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    health = get(port, "/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            self.assertIsNotNone(health, open(err.name, errors="replace").read())
            self.assertEqual(health[0], 200, health)
            status, body = get(port, "/")
            self.assertEqual(status, 200, body[:300])
            self.assertIn(b"<html", body.lower())
            status, body = get(port, "/v1/units/000.00.00.H17")
            self.assertEqual(status, 200, body[:300])
            self.assertTrue(os.path.exists(os.path.join(state, "data", "seal.key")))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = None
            err.close()
        self.assertEqual(rc, 0, open(err.name, errors="replace").read())

    def test_installed_man_pages(self):
        for page in ("man1/lienthong.1.gz", "man8/lienthongd.8.gz"):
            with gzip.open(os.path.join(self.root, "usr/share/man", page), "rt") as f:
                text = f.read()
            src = os.path.join(ltd.SOURCE_DIR, "man", os.path.basename(page)[:-3])
            self.assertEqual(text, open(src).read())


class MakeInstall(unittest.TestCase):
    """scripts/install, what `make install PREFIX=... DESTDIR=...` runs."""

    @unittest.skipUnless(HAVE_WEB, "web/vendor is missing: run make web")
    def test_prefix_and_destdir(self):
        with tempfile.TemporaryDirectory(prefix="lt_test_install_") as dest:
            env = dict(ltd.clean_env(), DESTDIR=dest, PREFIX="/opt/lt")
            script = os.path.join(ltd.SOURCE_DIR, "scripts", "install")
            p = run(script, ltd.BUILD_DIR, env=env)
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            for path in ("opt/lt/bin/lienthongd", "opt/lt/share/lienthong/web/index.html",
                         "opt/lt/share/man/man8/lienthongd.8.gz", "opt/lt/lib/systemd/system/lienthong.service"):
                self.assertTrue(os.path.isfile(os.path.join(dest, path)), path)
            unit = open(os.path.join(dest, "opt/lt/lib/systemd/system/lienthong.service")).read()
            self.assertIn("ExecStart=/opt/lt/bin/lienthongd -c /opt/lt/etc/lienthong/lienthong.conf\n", unit)
            conf = os.path.join(dest, "opt/lt/etc/lienthong/lienthong.conf")
            self.assertIn("web_dir = /opt/lt/share/lienthong/web\n", open(conf).read())
            # A second install keeps the configuration an operator edited.
            with open(conf, "a") as f:
                f.write("threads = 8\n")
            p = run(script, ltd.BUILD_DIR, env=env)
            self.assertEqual(p.returncode, 0, ltd.detail(p))
            self.assertIn("threads = 8", open(conf).read())
            self.assertTrue(os.path.exists(conf + ".new"))
            p = run(script, "/nonexistent", env=env)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("build first", p.stderr)


class ManPages(unittest.TestCase):
    def page(self, name):
        with open(os.path.join(ltd.SOURCE_DIR, "man", name)) as f:
            return f.read()

    def test_lienthong_names_every_command(self):
        cmds = help_commands()
        self.assertIn("backup", cmds)
        section = roff_section(self.page("lienthong.1"), "COMMANDS")
        names = [t[0] for t in roff_tags(section)]
        self.assertEqual([n for i, n in enumerate(names) if n not in names[:i]], cmds)
        # And every verb and keyword of each help line (system bind, ack
        # --state done...) is in the page.
        text = set(re.findall(r"[a-z][a-z0-9-]*", re.sub(r"\\f[BIRP]", "", section).replace("\\-", "-")))
        out = run(ltd.CLI, "--help").stdout
        for line in out.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines():
            synopsis = re.split(r"\s{2,}", line.strip())[0]
            for word in re.findall(r"(?<![\w-])[a-z][a-z0-9-]*", synopsis):
                self.assertTrue(word in text, f"'{word}' of '{synopsis}' is not in man lienthong")

    def test_unit_verbs(self):
        out = run(ltd.CLI, "unit", "--help").stdout
        verbs = re.findall(r"^\s+lienthong unit (\w+)", out, re.M)
        self.assertTrue(verbs)
        tags = roff_tags(roff_section(self.page("lienthong.1"), "UNIT VERBS"))
        self.assertEqual([t[:2] for t in tags], [["unit", v] for v in verbs])

    def test_lienthongd_names_every_key(self):
        out = run(ltd.DAEMON, "--help").stdout
        keys = [line.split()[0] for line in out.split("keys:\n", 1)[1].splitlines() if line.strip()]
        self.assertIn("issue_journal", keys)
        self.assertEqual([t[0] for t in roff_tags(roff_section(self.page("lienthongd.8"), "CONFIGURATION"))], keys)

    @unittest.skipUnless(shutil.which("groff"), "groff is not installed")
    def test_pages_render_cleanly(self):
        for name in ("lienthong.1", "lienthongd.8"):
            p = run("groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(ltd.SOURCE_DIR, "man", name))
            self.assertEqual((p.returncode, p.stderr), (0, ""), name)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
