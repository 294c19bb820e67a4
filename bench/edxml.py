"""edXML parsing benchmark (issue 23): bench/edxml_parse.c, built by CMake
against the core (target bench_edxml_parse), parses the exchange
benchmark's kind of package (100 KB, a 75 KB attachment, two recipients)
in 64 KiB pieces three ways, taking turns: libxml2's bare SAX2 push parse,
the same plus the package's SHA-256 (which the hub's reader must compute:
it is the package's identity for idempotent sends), and the hub's reader as
its upload sets it up (which also decodes and checks the attachment's
base64, which neither reference does). Also one 20 MB package, the large end
of real traffic. Each is timed in CPU time (the process's clock), so a
shared machine's waits do not count. Reported: the reader's MB/s against the
bare parse (the goal) and against the parse-and-hash floor
(edxml_parse_vs_sax_sha256, informational)."""

import json
import os
import random
import subprocess

import benchlib
import exchange
import report
from benchlib import BenchError, log

SECONDS = 3.0


def build_parser():
    p = subprocess.run(["cmake", "--build", benchlib.BUILD, "--target", "bench_edxml_parse"], capture_output=True,
                       text=True)
    exe = os.path.join(benchlib.BUILD, "bench_edxml_parse")
    if p.returncode != 0 or not os.access(exe, os.X_OK):
        raise BenchError("cannot build bench_edxml_parse: " + (p.stdout + p.stderr)[-2000:])
    return exe


def measure(exe, files, seconds):
    p = subprocess.run([exe, str(seconds)] + files, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("bench_edxml_parse failed: " + p.stderr[-2000:])
    return json.loads(p.stdout)


def run(ctx):
    exe = build_parser()
    d = os.path.join(ctx.tmp, "edxml")
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(7)
    small = []
    for i in range(50):
        path = os.path.join(d, "p%d.xml" % i)
        exchange.write_package(path, "000.00.00.G22", ["000.00.00.H17", "000.00.00.H26"], i, rnd, 75000)
        small.append(path)
    big = os.path.join(d, "big.xml")
    exchange.write_package(big, "000.00.00.G22", ["000.00.00.H17"], 999, rnd, 15 * 1024 * 1024)
    log("edxml: 50 packages of 100 KB, %.1f CPU s each way" % SECONDS)
    r_small = measure(exe, small, SECONDS)
    log("edxml: one %.0f MB package" % (os.path.getsize(big) / 1e6))
    r_big = measure(exe, [big], SECONDS)
    log("edxml: reader %.0f MB/s, bare SAX %.0f MB/s, SAX + SHA-256 %.0f MB/s (100 KB packages)"
        % (r_small["reader_mb_s"], r_small["libxml2_sax_mb_s"], r_small["libxml2_sax_sha256_mb_s"]))
    results = [
        report.result("edxml_parse_vs_libxml2", r_small["reader_mb_s"], "MB/s",
                      "libxml2 bare SAX2 push parse of the same packages", r_small["libxml2_sax_mb_s"],
                      "ratio >= 0.8", lambda v, ratio: ratio is not None and ratio >= 0.8,
                      note="100 KB packages in 64 KiB pieces; the reader also computes the package's SHA-256 "
                           "(libxml2 + SHA-256 alone: %.0f MB/s, the reader is %.2f of that floor)"
                           % (r_small["libxml2_sax_sha256_mb_s"],
                              r_small["reader_mb_s"] / r_small["libxml2_sax_sha256_mb_s"])),
        report.result("edxml_parse_vs_sax_sha256", r_small["reader_mb_s"], "MB/s",
                      "libxml2 bare SAX2 push parse plus SHA-256 of the same packages",
                      r_small["libxml2_sax_sha256_mb_s"], None, None,
                      note="the least any reader that hashes the package as the hub must can cost; the reader "
                           "also decodes the attachments' base64"),
        report.result("edxml_parse_big_vs_libxml2", r_big["reader_mb_s"], "MB/s",
                      "libxml2 bare SAX2 push parse of the same package", r_big["libxml2_sax_mb_s"], None, None,
                      note="one %.0f MB package; libxml2 + SHA-256 alone: %.0f MB/s"
                           % (r_big["bytes"] / 1e6, r_big["libxml2_sax_sha256_mb_s"])),
    ]
    return results, {"small": r_small, "big": r_big}, None
