#!/usr/bin/env python3
"""bench/report.py, fed figures by hand: what `make bench` writes.

- every figure goes to latest.json with its reference, goal, ratio and
  `met`, and to latest.md's table;
- every figure issue 23 asks for is in latest.json even when its benchmark
  failed or ran without giving it: not met, with the reason, in the JSON
  and in latest.md;
- `bench/run --only X` keeps the other benchmarks' figures (carry_over),
  and a benchmark that failed is listed with its reason.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only; ends with "N passed, M failed".
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.join(ltd.SOURCE_DIR, "bench"))
import report  # noqa: E402


def doc_with(results, ran, failed=None):
    return {"commit": "abc", "cores": 2, "date": "2026-12-07 18:00:00 UTC", "loadavg_start": "0.1 0.1 0.1",
            "loadavg_end": "0.2 0.2 0.2",
            "settings": {"units": 1000, "seconds": 3, "rounds": 3, "import_rounds": 4, "daemon_threads": 2,
                         "benchmarks": ran, "exchange_packages": 10, "sig_packages": 10},
            "results": results, "profiles": {}, "pending": [], "failed": failed or {}, "details": {},
            "timings_s": {b: 1.0 for b in ran}, "elapsed_s": 3.0}


def lookup_figures():
    return [report.result("lookup_rps", 90000.0, "req/s", "nginx", 100000.0, "ratio >= 0.8", lambda v, r: r >= 0.8),
            report.result("lookup_p99", 4.0, "ms", "nginx p99", 1.0, "ratio <= 3", lambda v, r: r <= 3)]


class Report(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lt-bench-report-")
        self.out = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def written(self, doc):
        report.write(doc, self.out, update_doc=False)
        with open(os.path.join(self.out, "latest.json"), encoding="utf-8") as f:
            js = json.load(f)
        with open(os.path.join(self.out, "latest.md"), encoding="utf-8") as f:
            md = f.read()
        return js, md

    def test_figure_fields(self):
        results = lookup_figures()
        results += report.complete(results, ["import", "lookup"], {})
        js, md = self.written(doc_with(results, ["import", "lookup"]))
        by = {r["name"]: r for r in js["results"]}
        p99 = by["lookup_p99"]
        for key in ("value", "unit", "reference_name", "reference_value", "ratio", "goal", "met"):
            self.assertIn(key, p99)
        self.assertEqual((p99["value"], p99["reference_value"], p99["ratio"]), (4.0, 1.0, 4.0))
        self.assertFalse(p99["met"], "a ratio of 4 is over the goal of 3")
        self.assertTrue(by["lookup_rps"]["met"])
        self.assertIn("| lookup_p99 | 4.00 ms | nginx p99 | 1.00 ms | 4.00 | ratio <= 3 | **NO** |", md)
        self.assertIn("| lookup_rps |", md)

    def test_required_figure_of_a_failed_benchmark_is_not_met_with_reason(self):
        results = lookup_figures()
        failed = {"soak": "lienthong import exited 1: duplicate"}
        results += report.complete(results, ["import", "lookup", "soak"], failed)
        js, md = self.written(doc_with(results, ["import", "lookup", "soak"], failed))
        by = {r["name"]: r for r in js["results"]}
        for name in ("soak_rss", "soak_p99"):
            self.assertIn(name, by)
            self.assertFalse(by[name]["met"])
            self.assertIsNone(by[name]["value"])
            self.assertIn("duplicate", by[name]["missing"])
            self.assertIn("| %s | — |" % name, md)
        self.assertIn("**NO** (missing: the soak benchmark failed: lienthong import exited 1: duplicate)", md)
        self.assertIn("- **soak**: lienthong import exited 1: duplicate", md)
        # the import ran without its 1 M figures: missing, said so
        self.assertIn("ran but gave no import_1m_vs_100k", by["import_1m_vs_100k"]["missing"])
        self.assertIn("no earlier run", by["sig_verify_vs_xmlsec"]["missing"])

    def test_every_required_figure_ends_up_in_latest_json(self):
        js, _ = self.written(doc_with(report.complete([], [], {}), []))
        names = {r["name"] for r in js["results"]}
        for name in ("lookup_p99", "import_100k_csv", "import_1m_vs_100k", "import_1m_peak_rss",
                     "exchange_accept_vs_floor", "edxml_parse_vs_libxml2", "exchange_e2e_p50",
                     "sig_verify_vs_xmlsec", "soak_rss", "soak_p99"):
            self.assertIn(name, names)
        for r in js["results"]:
            self.assertFalse(r["met"], r["name"])
            self.assertNotEqual(r["goal"], report.INFORMATIONAL, r["name"])

    def test_measured_figure_is_not_replaced(self):
        results = lookup_figures()
        added = report.complete(results, ["lookup"], {})
        self.assertNotIn("lookup_p99", [r["name"] for r in added])

    def test_carry_over_keeps_the_others_and_their_run(self):
        first = lookup_figures() + [report.result("soak_rss", 0.5, "MB", "first third", 10.0, "< 10%",
                                                  lambda v, r: r < 0.1)]
        self.written(doc_with(first, ["import", "lookup", "soak"]))
        carried = report.carry_over(os.path.join(self.out, "latest.json"), ["soak"])
        names = [r["name"] for r in carried["results"]]
        self.assertIn("lookup_p99", names)
        self.assertNotIn("soak_rss", names, "a benchmark run again is not carried")
        self.assertEqual(carried["runs"][0]["commit"], "abc")
        self.assertEqual(sorted(carried["runs"][0]["benchmarks"]), ["import", "lookup"])


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
