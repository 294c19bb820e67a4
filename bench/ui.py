"""Web-interface benchmark on the 100,000-unit registry: Debian's chromium,
driven by playwright-core (bench/ui.mjs), types 30 queries into /search one
key at a time (15 name fragments without diacritics, 15 code prefixes) and
times the last keystroke -> the results painted; then opens a unit with 999
children (the most a code allows) and times its first page of 50 children
painted, and each "Xem thêm" click -> the next 50 painted. References, in the
same run: the API request behind each figure timed from node on a keep-alive
connection (the median of three), and the same page for a unit with a single
child.

The goal is the one for an answer that feels instant: under 100 ms."""
import json
import os
import random
import shutil
import subprocess
import threading
import time

from benchlib import BENCH, CLI, ROOT, BenchError, Daemon, http_get, log, lt_env
from report import result
from search import name_queries, prefix_queries

BROWSER_TESTS = os.path.join(ROOT, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
QUERIES = 30        # half name fragments, half code prefixes
KEY_DELAY_MS = 100  # a brisk typist; slower typing only leaves the page more time
ROUNDS = 30         # unit pages opened, alternating with the one-child unit
MORE_CLICKS = 1     # "Xem thêm" clicks per opening
CHILDREN = 999      # level-4 numbers run 001-999: no code has more children
GOAL_MS = 100.0


def ensure_browser():
    """Debian's chromium (scripts/deps --browser) and playwright-core from
    tests/browser's lock file (`npm ci` when missing or out of date), as
    `make test-browser` does; bench/run calls this before the first
    benchmark, so a missing piece stops the run at its start."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise BenchError("%s is not installed; the ui benchmark needs Node.js (scripts/deps --browser)" % tool)
    if not os.access(CHROMIUM, os.X_OK) and "CHROMIUM" not in os.environ:
        log("installing Debian's chromium (scripts/deps --browser)")
        subprocess.run([os.path.join(ROOT, "scripts", "deps"), "--browser"], check=False)
    if not os.access(CHROMIUM, os.X_OK):
        raise BenchError("%s is missing; `scripts/deps --browser` installs Debian's chromium" % CHROMIUM)
    stamp = os.path.join(BROWSER_TESTS, "node_modules", ".package-lock.json")
    lock = [os.path.join(BROWSER_TESTS, f) for f in ("package-lock.json", "package.json")]
    if not os.path.exists(stamp) or any(os.path.getmtime(f) > os.path.getmtime(stamp) for f in lock):
        log("npm ci --prefix tests/browser (playwright-core, pinned)")
        p = subprocess.run(["npm", "ci", "--prefix", BROWSER_TESTS, "--no-audit", "--no-fund", "--loglevel=error"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError("npm ci --prefix tests/browser failed: " + p.stderr[-2000:])
        os.utime(stamp)


def registry(ctx):
    """The 100,000-unit registry without the import benchmark's rounds, for
    `--only ui`: `lienthong init` and one `lienthong import` of the CSV."""
    d = os.path.join(ctx.tmp, "ui-registry")
    os.makedirs(d, exist_ok=True)
    db = os.path.join(d, "lienthong.db")
    env = lt_env(d, db)
    t = time.monotonic()
    for cmd in ([CLI, "init"], [CLI, "import", ctx.csv]):
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise BenchError("%s failed: %s" % (" ".join(cmd[1:2]), p.stderr[-2000:]))
    log("registry of %d units imported in %.1f s" % (ctx.units, time.monotonic() - t))
    return db


def total_children(daemon, code):
    status, body = http_get(daemon.port, "/v1/units?parent=%s&limit=1" % code)
    if status != 200:
        raise BenchError("GET /v1/units?parent=%s answered %d" % (code, status))
    doc = json.loads(body)
    if "total" not in doc:
        raise BenchError("GET /v1/units?parent= gives no total: is build/ older than src/daemon/h_units.c?")
    return doc["total"]


def add_children(daemon, db, parent):
    """999 schools under one level-3 unit, through `lienthong import`."""
    l4, rest = parent.split(".", 1)
    csv_path = os.path.join(os.path.dirname(db), "children.csv")
    today = time.strftime("%Y-%m-%d")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n")
        for i in range(1, CHILDREN + 1):
            f.write("%03d.%s,Trường Tiểu học số %d,%s,%d/QĐ-UBND,%s,Ủy ban nhân dân,%s\n"
                    % (i, rest, i, parent, i, today, today))
    p = subprocess.run([CLI, "import", csv_path], env=lt_env(os.path.dirname(db), db), capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise BenchError("importing %d children under %s failed: %s" % (CHILDREN, parent, p.stderr[-2000:]))
    n = total_children(daemon, parent)
    if n != CHILDREN:
        raise BenchError("%s has %d children after the import, not %d" % (parent, n, CHILDREN))


def pick_units(daemon):
    """A level-3 unit with no children (they are added) and one with a single
    child (the reference), both in the generated tree (tests/integration/
    ltgen.py gives the first level-3 unit of each district one school)."""
    status, body = http_get(daemon.port, "/v1/units?level=3&limit=200")
    if status != 200:
        raise BenchError("GET /v1/units?level=3 answered %d" % status)
    empty = one = None
    for u in json.loads(body)["items"]:
        n = total_children(daemon, u["code"])
        if n == 0 and not empty:
            empty = u["code"]
        elif n == 1 and not one:
            one = u["code"]
        if empty and one:
            return empty, one
    raise BenchError("no level-3 unit without children and one with a single child among the first 200")


def run(ctx, db=None):
    if db is None:
        db = registry(ctx)
    rnd = random.Random(12)
    names = name_queries(ctx.sample_names, rnd, QUERIES // 2)
    prefixes = prefix_queries(ctx.sample_codes, rnd, QUERIES - QUERIES // 2)
    queries = [q for pair in zip(names, prefixes) for q in pair]
    kinds = ["name" if i % 2 == 0 else "prefix" for i in range(len(queries))]

    daemon = Daemon(ctx.tmp, db, ctx.threads, "lienthongd-ui")
    daemon.env["LIENTHONG_WEB_DIR"] = os.path.join(ROOT, "web")
    daemon.start()
    try:
        parent, one_child = pick_units(daemon)
        log("ui: %d children under %s (reference: %s, one child)" % (CHILDREN, parent, one_child))
        add_children(daemon, db, parent)
        cfg = {"base": daemon.url(), "chromium": CHROMIUM, "profile": os.path.join(ctx.tmp, "chromium-profile"),
               "queries": [{"kind": k, "q": q} for k, q in zip(kinds, queries)], "key_delay_ms": KEY_DELAY_MS,
               "parent": parent, "one_child": one_child, "rounds": ROUNDS, "more_clicks": MORE_CLICKS}
        cfg_path = os.path.join(ctx.tmp, "ui.json")
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, ensure_ascii=False)
        log("ui: chromium types %d queries at %d ms a key, then opens the unit %d times" % (
            len(queries), KEY_DELAY_MS, ROUNDS))
        out_path = os.path.join(ctx.tmp, "ui.out")
        tail = []
        with open(out_path, "w") as of:
            p = subprocess.Popen(["node", os.path.join(BENCH, "ui.mjs"), cfg_path], stdout=of,
                                 stderr=subprocess.PIPE, text=True)
            watchdog = threading.Timer(600, p.kill)
            watchdog.start()
            for line in p.stderr:  # its progress, as it comes
                log(line.rstrip())
                tail = (tail + [line])[-40:]
            p.wait()
            watchdog.cancel()
        if p.returncode != 0:
            raise BenchError("bench/ui.mjs exited %d: %s" % (p.returncode, "".join(tail)[-2000:]))
        with open(out_path) as f:
            r = json.loads(f.read().strip().splitlines()[-1])
    finally:
        daemon.stop()

    s, u = r["search"], r["unit"]
    details = {"browser": r["user_agent"], "key_delay_ms": KEY_DELAY_MS, "queries": len(queries),
               "parent": parent, "children": u["children"], "one_child": one_child, "rounds": ROUNDS,
               "more_clicks_per_round": MORE_CLICKS,
               "measured": "performance.now() in the page: the last keystroke's input event (or the click) to "
                           "the first task after the requestAnimationFrame that follows the DOM change",
               "search": s, "unit": u}
    note_search = ("%d queries typed one key at a time, %d ms apart (%s keys and %s search requests a query on "
                   "average); p50 of the UI's time over the API's per query %.1f ms"
                   % (len(queries), KEY_DELAY_MS, _f(s["keys_per_query"]), _f(s["requests_per_query"]),
                      s["overhead"]["p50_ms"]))
    results = [
        result("ui_search_p50", s["ui"]["p50_ms"], "ms", "the same query's API request from node, p50",
               s["api"]["p50_ms"], None, None, note=note_search),
        result("ui_search_p95", s["ui"]["p95_ms"], "ms", "the same query's API request from node, p95",
               s["api"]["p95_ms"], "p95 < 100 ms after the last keystroke", lambda v, _: v < GOAL_MS,
               note="last keystroke -> results painted; " + note_search),
        result("ui_unit_open_p50", u["open"]["p50_ms"], "ms", "the same for a unit with one child, p50",
               u["open_one_child"]["p50_ms"], None, None,
               note="a click on a link to a unit with %d children -> its first 50 painted, %d times; "
                    "the API's first page from node %.2f ms p50" % (u["children"], ROUNDS,
                                                                   u["open_api_first_page"]["p50_ms"])),
        result("ui_unit_open_p95", u["open"]["p95_ms"], "ms", "the same for a unit with one child, p95",
               u["open_one_child"]["p95_ms"], "p95 < 100 ms", lambda v, _: v < GOAL_MS,
               note="longest main-thread task while opening: %.0f ms (none over 50 ms reads 0)"
                    % u["open_longest_task_ms"]),
        result("ui_unit_more_p50", u["more"]["p50_ms"], "ms", "the same page's API request from node, p50",
               u["more_api"]["p50_ms"], None, None,
               note="a click on 'Xem thêm 50 đơn vị' -> 50 more painted, %d clicks" % u["more"]["n"]),
        result("ui_unit_more_p95", u["more"]["p95_ms"], "ms", "the same page's API request from node, p95",
               u["more_api"]["p95_ms"], "p95 < 100 ms", lambda v, _: v < GOAL_MS,
               note="longest main-thread task after a click: %.0f ms" % u["more_longest_task_ms"]),
    ]
    return results, details


def _f(x):
    return "%.1f" % x
