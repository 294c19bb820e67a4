#!/usr/bin/env python3
"""Docs stay true to the code, and stand alone.

- docs/config.md is what `lienthongd --config-md` prints from the table the
  daemon reads; the README's commands exist.
- No doc (docs/, the README, the served openapi.json) cites design.md,
  formats.md, ../shared or a § of them: those files are not in the
  repository.
- The curl examples of docs/api.md that read (before the tour changes the
  catalogue, and the web files) answer what the page shows, from the real
  daemon on a fresh demo database: status, the headers shown, and the body
  with the page's `…` cuts.
- The tours write only into their private temporary folder: the README tour
  runs whole against a daemon and leaves `git status` as it found it, with
  every file holding a token, a secret or a key 0600; every file the
  docs/api.md and docs/signatures.md examples write is under $T.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""

import glob
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

SRC = ltd.SOURCE_DIR


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


class Generated(unittest.TestCase):
    def test_config_md_is_generated(self):
        out = subprocess.run([ltd.DAEMON, "--config-md"], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, ltd.detail(out))
        self.assertEqual(out.stdout, read("docs/config.md"), "run: build/lienthongd --config-md > docs/config.md")

    def test_readme_commands_exist(self):
        readme = read("README.md")
        for cmd in ("make run", "make test", "LICENSE"):
            self.assertIn(cmd, readme)
        help_out = subprocess.run([ltd.CLI, "--help"], capture_output=True, text=True, timeout=60).stdout
        for verb in ("code", "init", "import", "export", "unit", "token", "system", "report"):
            self.assertIn(f"  {verb} ", help_out)


# Names of the spec files the docs once leaned on, and their section marks.
CITATION = re.compile(r"design\.md|formats\.md|\.\./shared|shared/spec|§|\\u00a7")


class StandAlone(unittest.TestCase):
    def test_no_doc_cites_files_outside_the_repository(self):
        files = sorted(glob.glob(os.path.join(SRC, "docs", "**", "*.md"), recursive=True))
        files += [os.path.join(SRC, "README.md"), os.path.join(SRC, "src", "daemon", "openapi.json")]
        self.assertGreater(len(files), 8)
        bad = []
        for path in files:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if CITATION.search(line):
                        bad.append(f"{os.path.relpath(path, SRC)}:{n}: {line.strip()[:100]}")
        self.assertEqual(bad, [], "say what is needed in our own words instead")

    def test_paths_named_in_the_maps_exist(self):
        # The contributor's map and the README's layout name real files and
        # folders (placeholders like test_<module>.c aside).
        for doc in ("docs/development.md", "README.md"):
            named = re.findall(r"`((?:src|include|tests|scripts|docs|web|bench|data|cmake|\.ci)/[^`\s]*)`", read(doc))
            self.assertGreater(len(named), 5, doc)
            for path in named:
                if re.search(r"[<*{]", path) or path.startswith("web/vendor"):  # vendor: made by make web
                    continue
                with self.subTest(doc=doc, path=path):
                    self.assertTrue(os.path.exists(os.path.join(SRC, path.rstrip("/"))), f"{doc} names {path}")

    def test_license(self):
        text = read("LICENSE")
        self.assertTrue(text.startswith("MIT License"))
        self.assertIn("The lienthong authors", text)


# ---- the examples of docs/api.md ----------------------------------------


def console_examples(text):
    """(heading, command, expected output lines) of every `$ ` command in the
    ```console blocks, continuation lines joined."""
    out = []
    heading = ""
    in_block = False
    cur = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not in_block and line.startswith("## "):
            heading = line[3:].strip()
        if line.startswith("```"):
            if cur:
                out.append(cur)
                cur = None
            in_block = line.strip() == "```console"
            i += 1
            continue
        if in_block:
            if line.startswith("$ "):
                if cur:
                    out.append(cur)
                cmd = line[2:]
                while cmd.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    cmd = cmd[:-1] + " " + lines[i].strip()
                cur = (heading, cmd, [])
            elif cur:
                cur[2].append(line)
        i += 1
    return out


def parse_curl(cmd):
    """The request a simple curl command makes, or None for one this runner
    does not replay (a body, a pipe, a variable other than $TOKEN)."""
    if any(c in cmd for c in ("|", "$(", ">", "<")):
        return None
    try:
        words = shlex.split(cmd.replace("$TOKEN", "@TOKEN@"))
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    req = {"method": "GET", "headers": {}, "include": False, "head": False, "discard": False, "write": None}
    it = iter(words[1:])
    for w in it:
        if w == "-s":
            continue
        elif w == "-i":
            req["include"] = True
        elif w == "-I":
            req["head"] = True
            req["include"] = True
            req["method"] = "HEAD"
        elif w == "-X":
            req["method"] = next(it)
        elif w == "-H":
            k, _, v = next(it).partition(":")
            req["headers"][k.strip()] = v.strip()
        elif w == "-o":
            if next(it) != "/dev/null":
                return None
            req["discard"] = True
        elif w == "-w":
            req["write"] = next(it)
        elif w.startswith("http://127.0.0.1:8080"):
            req["path"] = w[len("http://127.0.0.1:8080"):]
        else:
            return None  # -d, --data-binary and the like change something
    if "$" in req.get("path", "$") or any("$" in v for v in req["headers"].values()):
        return None
    return req


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def pattern(expected):
    """A regex for what curl prints, from the page's lines: a line that is
    only `…` stands for any lines, a `…` inside a line for any text."""
    parts = []
    for line in expected:
        if line.strip() == "…":
            parts.append("(?:.*\n)*?")
        else:
            esc = re.escape(TIMESTAMP.sub("@TIME@", line)).replace("…", ".*?")
            parts.append(esc + "\n")
    return re.compile("".join(parts))


class Examples(ltd.DaemonTest):
    """The read-only curl examples of docs/api.md against the daemon on the
    demo database, with the tour's admin token as $TOKEN."""

    # Sections before the tour's first change, and the web files: their
    # answers do not depend on what earlier examples changed.
    READ_ONLY = ("Trying the examples", "Routes", "Conventions", "Authentication and roles", "Errors",
                 "Reading the catalogue", "ETags and conditional requests")

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_docs_")
        cls.token = cls.reg.token("admin", name="tour")
        cls.d = ltd.Daemon(cls.reg).start()

    def transcript(self, req):
        headers = {k: v.replace("@TOKEN@", self.token) for k, v in req["headers"].items()}
        r = self.d.request(req["method"], req["path"], headers=dict({"Accept": None}, **headers))
        out = ""
        if req["include"]:
            out += f"HTTP/1.1 {r.status} {r.reason}\n"
            out += "".join(f"{k}: {v}\n" for k, v in r.headers.items())
        if not req["discard"] and not req["head"]:
            out += r.text()
        if req["write"]:
            w = req["write"].replace("%{http_code}", str(r.status))
            w = w.replace("%{content_type}", r.headers.get("Content-Type", ""))
            out += w.replace("\\n", "\n")
        if not out.endswith("\n"):
            out += "\n"
        return r, TIMESTAMP.sub("@TIME@", out)

    def check_headers(self, cmd, expected, r):
        """With -i or -I the page shows the status line and some headers (in
        any order among the real ones); a `…` line ends them."""
        status_line = f"HTTP/1.1 {r.status} {r.reason}"
        self.assertEqual(expected[0], status_line, cmd)
        real = {k.lower(): v for k, v in r.headers.items()}
        body = []
        for n, line in enumerate(expected[1:], 1):
            if line.strip() == "…" or not line.strip():
                body = expected[n + 1:]
                break
            k, _, v = line.partition(":")
            self.assertIn(k.strip().lower(), real, f"{cmd}: the page shows the header {line!r}")
            if k.strip().lower() != "date":
                self.assertEqual(real[k.strip().lower()], v.strip(), f"{cmd}: header {k}")
        return body

    def test_read_only_examples_answer_what_the_page_shows(self):
        examples = console_examples(read("docs/api.md"))
        ran = 0
        for heading, cmd, expected in examples:
            web = "-o /dev/null" in cmd
            if heading not in self.READ_ONLY and not web:
                continue
            req = parse_curl(cmd)
            if req is None:
                continue
            with self.subTest(cmd=cmd):
                ran += 1
                r, out = self.transcript(req)
                if req["include"]:
                    body = self.check_headers(cmd, expected, r)
                    if body:
                        self.assertRegex(TIMESTAMP.sub("@TIME@", r.text()), pattern(body), cmd)
                    continue
                self.assertTrue(pattern(expected).fullmatch(out),
                                f"{cmd}\n  the page shows:\n{chr(10).join(expected)}\n  the daemon says:\n{out}")
        self.assertGreaterEqual(ran, 15, "the runner found too few examples: has docs/api.md changed shape?")

    def test_web_files_are_served(self):
        for path in ("/", "/units/000.00.00.H17", "/assets/api.js"):
            r = self.d.get(path, headers={"Accept": None})
            self.assertEqual(r.status, 200, f"{path}: {r!r}")


# ---- the tours ---------------------------------------------------------


# Where a shell command writes (>, tee, -o) or reads a file it made (@file).
FILE_ARG = re.compile(r"(?:>|\btee|\s-o|--data-binary @|-d @|\bscripts/test-ca)\s*(\"[^\"]*\"|'[^']*'|[^\s|;]+)")


class Tours(unittest.TestCase):
    def commands(self, doc):
        text = read(doc)
        cmds = [cmd for _, cmd, _ in console_examples(text)]
        for block in re.findall(r"```sh\n(.*?)```", text, re.S):
            cmds += block.replace("\\\n", " ").splitlines()
        return cmds

    def test_doc_examples_write_only_under_T(self):
        for doc in ("docs/api.md", "docs/signatures.md", "README.md"):
            n = 0
            for cmd in self.commands(doc):
                for target in FILE_ARG.findall(cmd):
                    t = target.strip("\"'")
                    if t.startswith(("/dev/", "&")):
                        continue
                    n += 1
                    with self.subTest(doc=doc, cmd=cmd):
                        self.assertTrue(t.startswith("$T/"), f"{doc} writes {t} outside its temporary folder")
            self.assertGreater(n, 0, f"{doc}: no file written? the check lost track of the examples")

    def git_status(self):
        p = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=SRC,
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            self.skipTest("not a git checkout")
        # Build trees and npm folders come and go with other runs.
        skip = ("build", "node_modules", "web/vendor", "__pycache__")
        return sorted(line for line in p.stdout.splitlines() if not any(s in line for s in skip))

    def test_readme_tour_stays_in_its_folder(self):
        readme = read("README.md")
        blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
        tour = [b for b in blocks if "mktemp -d" in b or "curl -s" in b or "system add" in b]
        self.assertEqual(len(tour), 3, "the README tour: the CLI part, the HTTP part, the documents part")
        self.assertIn('rm -r "$T"', tour[2], "the tour removes its folder at the end")
        reg = ltd.Registry(prefix="lt_test_tour_")
        try:
            d = ltd.Daemon(reg).start()
            token = reg.token("admin", name="tour")
            script = "\n".join(tour)
            script = script.replace("make build\n", "")
            script = script.replace('rm -r "$T"', 'echo "TOUR_T=$T"')
            script = script.replace("build/lienthong", ltd.CLI)
            script = script.replace("127.0.0.1:8080", f"127.0.0.1:{d.port}")
            script = script.replace("var/lienthong.db", reg.db).replace("var/data", reg.data_dir)
            with tempfile.TemporaryDirectory(prefix="lt_test_tour_tmp_") as tmp:
                before = self.git_status()
                env = ltd.clean_env(TOKEN=token, TMPDIR=tmp, LIENTHONG_TODAY=ltd.TODAY,
                                    LIENTHONG_URL=d.url, LIENTHONG_DATA=ltd.DATA_DIR)
                p = subprocess.run(["bash", "-c", script], cwd=SRC, env=env, capture_output=True, text=True,
                                   timeout=300)
                after = self.git_status()
                self.assertEqual(after, before, "the tour changed the work tree:\n" + ltd.detail(p))
                m = re.search(r"^TOUR_T=(.+)$", p.stdout, re.M)
                self.assertTrue(m, ltd.detail(p))
                folder = m.group(1)
                self.assertTrue(folder.startswith(tmp), folder)
                self.assertNotIn("No such file", p.stderr, ltd.detail(p))
                self.assertNotIn("command not found", p.stderr, ltd.detail(p))
                self.assertIn("good signature", p.stdout + p.stderr, ltd.detail(p))
                self.assertRegex(p.stdout, r"done", "the document was fetched and acknowledged")
                self.check_private(folder)
            ltd.assert_clean_stop(self, d)
        finally:
            reg.close()

    def check_private(self, folder):
        secret = re.compile(rb"lt_[A-Za-z0-9_-]{20,}|vxp_[A-Za-z0-9_-]{20,}|PRIVATE KEY")
        checked = 0
        for root, dirs, files in os.walk(folder):
            for name in dirs:
                mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
                self.assertEqual(mode & 0o077, 0, f"{name}/ is open to others: {oct(mode)}")
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    data = f.read()
                mode = stat.S_IMODE(os.stat(path).st_mode)
                if secret.search(data) or name.endswith((".key", ".db")):
                    checked += 1
                    self.assertEqual(mode, 0o600, f"{path} holds a secret: mode {oct(mode)}")
                self.assertEqual(mode & 0o077, 0, f"{path} is readable by others: {oct(mode)}")
        self.assertGreater(checked, 0, "the tour wrote no key or token: did it run?")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
