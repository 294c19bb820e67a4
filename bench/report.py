"""Results: one record per figure, and the files they go to —
bench/results/latest.json, bench/results/latest.md, and the block of
docs/performance.md between its `bench:latest` markers."""
import json
import os
import re

from benchlib import ROOT

INFORMATIONAL = "none (informational)"
DOC = os.path.join(ROOT, "docs", "performance.md")
BEGIN, END = "<!-- bench:latest:begin -->", "<!-- bench:latest:end -->"


def _round(x):
    if x is None:
        return None
    if abs(x) >= 1000:
        return round(x, 1)
    if abs(x) >= 10:
        return round(x, 2)
    return round(x, 4)


def result(name, value, unit, reference_name, reference_value, goal, met, note="", reference_unit=None):
    """goal is a sentence or None (an informational figure); met is
    fn(value, ratio) -> bool. ratio is always value / reference_value.
    reference_unit: when the reference is counted in another unit."""
    ratio = value / reference_value if reference_value else None
    r = {"name": name, "value": _round(value), "unit": unit, "reference_name": reference_name,
         "reference_value": _round(reference_value), "ratio": _round(ratio),
         "goal": goal or INFORMATIONAL,
         # A figure without a goal cannot fail; "informational" says so.
         "met": bool(met(value, ratio)) if goal else True,
         "informational": goal is None}
    if reference_unit:
        r["reference_unit"] = reference_unit
    if note:
        r["note"] = note
    return r


# The figures issue 23 asks of every `make bench`, with their units and goals:
# each ends up in latest.json, measured, or not met with the reason it is
# missing (its benchmark failed, or ran without giving it).
REQUIRED = (
    ("lookup_p99", "ms", "ratio <= 3"),
    ("import_100k_csv", "s", "ratio <= 2"),
    ("import_1m_vs_100k", "s", "1 M units <= 11x the 100 k time"),
    ("import_1m_peak_rss", "MB", "peak RSS <= 64 MiB + SQLite's configured cache"),
    ("exchange_accept_vs_floor", "packages/s", "ratio >= 0.5"),
    ("exchange_e2e_p50", "ms", "end-to-end p50 <= 50 ms"),
    ("edxml_parse_vs_libxml2", "MB/s", "ratio >= 0.8"),
    ("sig_verify_vs_xmlsec", "verifications/s/core", "ratio >= 0.7"),
    ("soak_rss", "MB", "growth in the last third < 10% of the first third's"),
    ("soak_p99", "ms", "every kind's last-minute p99 <= 2x its first-minute p99"),
)


def missing(name, unit, goal, reason):
    """A required figure the run did not measure: not met, and why."""
    return {"name": name, "value": None, "unit": unit, "reference_name": "—", "reference_value": None,
            "ratio": None, "goal": goal, "met": False, "informational": False, "missing": reason}


def complete(results, ran, failed):
    """The records of the required figures absent from results: failed maps a
    benchmark to why it stopped; ran lists those this run started."""
    have = {r["name"] for r in results}
    out = []
    for name, unit, goal in REQUIRED:
        if name in have:
            continue
        b = benchmark_of(name)
        if b in failed:
            why = "the %s benchmark failed: %s" % (b, failed[b])
        elif b in ran:
            why = "the %s benchmark ran but gave no %s figure" % (b, name)
        else:
            why = "the %s benchmark was not run (--only) and no earlier run has the figure" % b
        out.append(missing(name, unit, goal, why))
    return out


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        s = "%.0f" % v if abs(v) >= 1000 else "%.2f" % v if abs(v) >= 1 else "%.3f" % v
    else:
        s = str(v)
    return s + (" " + unit if unit else "")


def table(results):
    lines = ["| figure | value | reference | reference value | ratio | goal | met |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        met = "n/a" if r["informational"] else ("**yes**" if r["met"] else "**NO**")
        if r.get("missing"):
            met = "**NO** (missing: %s)" % r["missing"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], fmt(r["value"], r["unit"]), r["reference_name"],
            fmt(r["reference_value"], r.get("reference_unit", r["unit"])),
            fmt(r["ratio"]), r["goal"], met))
    return "\n".join(lines)


def profile_md(name, prof):
    if not prof:
        return "- **%s**: not profiled" % name
    out = ["- **%s**%s — bottleneck: %s" % (name, " (%s)" % prof["what"] if prof.get("what") else "",
                                           prof["bottleneck"])]
    out.append("  - where the samples go: " + "; ".join(
        "%s %.1f%%%s" % (g["group"], g["pct"], " (under " + ", ".join("%s %.1f%%" % (f["sym"], f["pct"])
                                                                      for f in g["from"][:2]) + ")"
                         if g["from"] else "") for g in prof["groups"][:5]))
    out.append("  - by library (self): " + ", ".join("%s %.1f%%" % (d["dso"], d["pct"]) for d in prof["by_dso"]))
    out.append("  - top functions (self): " + ", ".join(
        "%s %.1f%%" % (s["sym"], s["pct"]) for s in prof["top_self"][:6]))
    if prof["own_inclusive"]:
        out.append("  - our functions (inclusive): " + ", ".join(
            "%s %.1f%%" % (s["sym"], s["pct"]) for s in prof["own_inclusive"][:7]))
    if prof["lib_inclusive"]:
        out.append("  - library functions (inclusive): " + ", ".join(
            "%s %.1f%%" % (s["sym"], s["pct"]) for s in prof["lib_inclusive"][:7]))
    for line in prof.get("lines", []):
        out.append("  - " + line)
    out.append("  - samples: %s" % prof["samples"])
    return "\n".join(out)


def national_md(d):
    """What one node sustained in the exchange benchmark, against the
    national volume of the seed documents, from the run's details."""
    n = d["national"]
    return ("One node sustained %s accepted packages/s and %s deliveries/s. The national document axis carried "
            "111,456 documents sent and 352,454 received in March 2022 (463,910 in all), on average %s sent/s and "
            "%s received/s, or %s and %s if all of it fell within 184 working hours: %s× and %s× the average, "
            "%s× and %s× the working-hours rate; this node would take %s minutes for the month's sends and "
            "%s minutes for its deliveries. The national data-exchange platform's 1.5 million transactions a day "
            "are %s/s on average; the hub answered %s exchange requests/s in the run (sends, inbox polls, "
            "fetches, acks), %s× that."
            % (fmt(d["accepted_per_s"]), fmt(d["deliveries_per_s"]), fmt(n["sent_per_s"]), fmt(n["received_per_s"]),
               fmt(n["sent_per_s_working_hours"]), fmt(n["received_per_s_working_hours"]), fmt(n["headroom_sent"]),
               fmt(n["headroom_received"]), fmt(n["headroom_sent_working_hours"]),
               fmt(n["headroom_received_working_hours"]), fmt(n["month_of_sends_takes_s"] / 60.0),
               fmt(n["month_of_deliveries_takes_s"] / 60.0), fmt(n["platform_transactions_per_s"]),
               fmt(n["hub_requests_per_s"]), fmt(n["headroom_platform_transactions"])))


def group_commit_md(d, results):
    r = next((x for x in results if x["name"] == "exchange_accepted_pps"), None)
    sp = d.get("syncs_per_package")
    if not r or not r["ratio"]:
        return ""
    text = ("Accepted packages/s were %s the disk's single-commit ceiling measured in the same run (ratio %s)"
            % ("above" if r["ratio"] > 1 else "below", fmt(r["ratio"])))
    if sp and sp.get("packages_per_group_commit"):
        text += ("; the group commit wrote %s packages per commit on average (%s fsync/fdatasync/syncfs calls per "
                 "accepted package in all)" % (fmt(sp["packages_per_group_commit"]), fmt(sp["all"])))
    return text + "."


# Which benchmark a figure belongs to, by its name's prefix.
PREFIXES = (("import_", "import"), ("lookup_", "lookup"), ("search_", "search"), ("ui_", "ui"),
            ("exchange_", "exchange"), ("sig_", "signatures"), ("edxml_", "edxml"), ("soak_", "soak"),
            ("federation_", "federation"), ("pg_lookup_", "pg_lookup"), ("pg_exchange_", "pg_exchange"),
            ("pg_nodes_", "pg_nodes"), ("transition_", "transition"), ("convert_", "convert"))


def benchmark_of(name):
    return next((b for p, b in PREFIXES if name.startswith(p)), None)


def carry_over(path, ran):
    """The figures, details and profiles of the benchmarks this run left out,
    from the previous latest.json, and the runs they came from (a figure
    carried twice keeps its first run), so that `bench/run --only X` renews
    X without throwing the others away."""
    out = {"results": [], "details": {}, "profiles": {}, "runs": []}
    try:
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
    except (OSError, ValueError):
        return out
    origin = {}
    for run in old.get("carried_over", []):
        for b in run["benchmarks"]:
            origin[b] = run
    own = {k: old.get(k) for k in ("commit", "date", "cores", "loadavg_start", "loadavg_end")}
    own["settings"] = old.get("settings", {})
    for b in old.get("settings", {}).get("benchmarks", []):
        origin[b] = dict(own, benchmarks=[])
    keep = [b for b in origin if b not in ran]
    out["results"] = [r for r in old.get("results", []) if benchmark_of(r["name"]) in keep]
    out["details"] = {b: d for b, d in old.get("details", {}).items() if b in keep}
    out["profiles"] = {b: p for b, p in old.get("profiles", {}).items() if b in keep}
    runs = {}
    for b in keep:
        src = origin[b]
        key = (src.get("commit"), src.get("date"))
        if key not in runs:
            runs[key] = {k: v for k, v in src.items() if k != "benchmarks"}
            runs[key]["benchmarks"] = []
        runs[key]["benchmarks"].append(b)
    out["runs"] = list(runs.values())
    return out


def carried_md(run):
    s = run.get("settings", {})
    extra = ""
    if "exchange" in run["benchmarks"]:
        extra += "; exchange: %s packages" % s.get("exchange_packages")
    if "signatures" in run["benchmarks"]:
        extra += "; signatures: %s packages" % s.get("sig_packages")
    if {"pg_exchange", "pg_nodes"} & set(run["benchmarks"]):
        extra += "; PostgreSQL exchange: %s packages" % s.get("exchange_packages")
    return ("%s: not run this time; the figures below are those of commit `%s`, %s, %s cores, load average %s at "
            "the start and %s at the end; lienthongd with %s HTTP threads; %s units; wrk runs of %s s, %s rounds%s."
            % (", ".join(run["benchmarks"]), run.get("commit"), run.get("date"), run.get("cores"),
               run.get("loadavg_start"), run.get("loadavg_end"), s.get("daemon_threads"), s.get("units"),
               s.get("seconds"), s.get("rounds"), extra))


def ui_md(d):
    """What the browser measured, from the run's details."""
    s, u = d["search"], d["unit"]
    kinds = "; ".join("%s %s ms p50 and %s ms p95 (API %s ms p50)"
                      % (k, fmt(v["ui"]["p50_ms"]), fmt(v["ui"]["p95_ms"]), fmt(v["api"]["p50_ms"]))
                      for k, v in sorted(s["by_kind"].items()))
    browser = d["browser"].split(") ")[-1].split(" Safari")[0]
    return ("In %s (Debian's chromium, headless), %d queries typed one key at a time, %d ms apart: results painted "
            "after the last key in %s; the page sent %s search requests a query of %s keys. The unit with %d "
            "children painted its first 50 in %s ms p50 (a unit with one child: %s ms), and each \"Xem thêm\" "
            "click the next 50 in %s ms p50; the longest main-thread task was %s ms while typing, %s ms while "
            "opening the unit and %s ms after a click (0: none over 50 ms)."
            % (browser, d["queries"], d["key_delay_ms"], kinds, fmt(s["requests_per_query"]),
               fmt(s["keys_per_query"]), u["children"], fmt(u["open"]["p50_ms"]), fmt(u["open_one_child"]["p50_ms"]),
               fmt(u["more"]["p50_ms"]), fmt(s["longest_task_ms"]), fmt(u["open_longest_task_ms"]),
               fmt(u["more_longest_task_ms"])))


def postgres_md(details):
    """What the PostgreSQL benchmarks measured, from their details."""
    out = []
    x = details.get("pg_exchange")
    if x:
        c = x["per_package"]
        out.append("one node accepted %s packages/s (pgbench simple-update: %s tps before and after); per accepted "
                   "package of %s KB with its %d deliveries fetched and acknowledged, the node used %s ms of CPU, "
                   "the server %s ms of CPU, %s KB of WAL and %s transactions."
                   % (fmt(x["accepted_per_s"]), " and ".join(fmt(t) for t in x["pgbench_tps"]), fmt(c["body_kb"]),
                      c["deliveries"], fmt(c["node_cpu_ms"]), fmt(c["server_cpu_ms"]), fmt(c["wal_kb"]),
                      fmt(c["transactions"])))
    n = details.get("pg_nodes")
    if n:
        out.append("Three nodes against one: %s packages/s against %s (%d packages a run, %d rounds each)."
                   % (", ".join(fmt(r["per_s"]) for r in n["runs"]["three"]),
                      ", ".join(fmt(r["per_s"]) for r in n["runs"]["one"]), n["packages_per_run"],
                      len(n["runs"]["one"])))
    return " ".join(out) or "look-ups only (table above)."


def summary_md(doc):
    s = doc["settings"]
    ran = s.get("benchmarks", ["import", "lookup", "search"])
    lines = ["Commit `%s`, %s, %d cores, load average %s at the start and %s at the end; "
             "lienthongd with %d HTTP threads; %d units; wrk runs of %d s, %d rounds%s%s; benchmarks run: %s%s."
             % (doc["commit"], doc["date"], doc["cores"], doc["loadavg_start"], doc["loadavg_end"],
                s["daemon_threads"], s["units"], s["seconds"], s["rounds"],
                "; exchange: %d packages" % s["exchange_packages"] if {"exchange", "pg_exchange", "pg_nodes"} & set(ran)
                else "",
                "; signatures: %d packages" % s["sig_packages"] if "signatures" in ran else "",
                ", ".join(ran), " (%s s in all: %s)" % (doc["elapsed_s"], ", ".join(
                    "%s %s s" % (k, v) for k, v in doc.get("timings_s", {}).items())) if "elapsed_s" in doc else "")]
    for run in doc.get("carried_over", []):
        lines += ["", carried_md(run)]
    lines += ["", table(doc["results"]), "", "Bottlenecks, from `perf record -g` (cpu-clock, DWARF call graphs):", ""]
    for name in ("lookup", "search", "import", "exchange", "signatures"):
        if name in doc["details"]:
            lines.append(profile_md(name, doc["profiles"].get(name)))
    if "ui" in doc["details"]:
        lines += ["", "Web interface (not profiled): " + ui_md(doc["details"]["ui"])]
    if "exchange" in doc["details"]:
        lines += ["", "Exchange against the national volume (seed documents): "
                  + national_md(doc["details"]["exchange"]) + " "
                  + group_commit_md(doc["details"]["exchange"], doc["results"])]
    if {"pg_exchange", "pg_nodes", "pg_lookup"} & set(doc["details"]):
        lines += ["", "PostgreSQL: " + postgres_md(doc["details"])]
    if doc.get("failed"):
        lines += ["", "Benchmarks that failed (their figures are missing, not met):"]
        for name, why in doc["failed"].items():
            lines.append("- **%s**: %s" % (name, why))
    if doc.get("pending"):
        lines += ["", "Not measured yet:"]
        for p in doc["pending"]:
            lines.append("- **%s**: %s" % (p["name"], p["reason"]))
    return "\n".join(lines)


def rounded(x):
    if isinstance(x, float):
        return _round(x)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return x


def write(doc, results_dir, update_doc=True):
    doc = rounded(doc)
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "latest.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    md = ["# Benchmark results", "", "Written by `bench/run` (`make bench`); every figure is measured in the run "
          "below, next to a reference measured in the same run. Ratio = value / reference value.", "",
          summary_md(doc), "", "## Details", ""]
    for name, d in doc["details"].items():
        md.append("### %s" % name)
        md.append("")
        md.append("```json")
        md.append(json.dumps(d, indent=1, ensure_ascii=False, default=str))
        md.append("```")
        md.append("")
    with open(os.path.join(results_dir, "latest.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    if update_doc:
        refresh_doc(doc)


def refresh_doc(doc):
    """Refreshes the latest figures in docs/performance.md, if it has the
    markers; the prose around them is written by hand."""
    try:
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return
    if BEGIN not in text or END not in text:
        return
    block = BEGIN + "\n" + summary_md(doc) + "\n" + END
    text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text)
