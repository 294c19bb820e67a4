"""Converter benchmark: `lienthong convert` on a 1 GB CSV whose rows are
dense with closed codes (the demo registry's Quảng Nam, merged into Đà Nẵng),
its peak RSS (goal: under 64 MiB, whatever the file's size) and its
throughput per CPU second (wall time on a shared machine is noise) against
two references measured in the same run on the same file: `cat` to /dev/null
(reading the bytes) and the converter with nothing to rewrite (--since a
date after every change: parsing and writing only).

Also runs alone: python3 bench/convert.py [--mib N]."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
from benchlib import BenchError, log  # noqa: E402
from report import result  # noqa: E402

RSS_GOAL_MIB = 64


def make_input(path, mib, codes):
    """A CSV of about mib MiB: a code column, a free-text column naming two
    codes, and a number."""
    rows = []
    for i in range(512):
        a, b = codes[i % len(codes)], codes[(i * 7 + 3) % len(codes)]
        rows.append('%d,%s,"công văn gửi %s, đồng gửi 000.00.00.G22",%d\n' % (i, a, b, i * 13 % 997))
    block = "".join(rows).encode()
    with open(path, "wb") as f:
        f.write(b"stt,ma_don_vi,noi_dung,so_luong\n")
        written = 0
        while written < mib << 20:
            f.write(block)
            written += len(block)
    return os.path.getsize(path)


def run(ctx, mib=1024):
    tmp = ctx.tmp
    db = os.path.join(tmp, "convert.db")
    env = benchlib.lt_env(tmp, db)
    cli = os.path.join(benchlib.BUILD, "lienthong")
    p = subprocess.run([cli, "init", "--demo"], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("init --demo failed: %s" % p.stderr)
    p = subprocess.run([cli, "transition", "map"], env=env, capture_output=True, text=True)
    closed = sorted({line.split(",")[0] for line in p.stdout.splitlines()[1:]})
    if not closed:
        raise BenchError("the demo registry has no closed code to convert")
    src = os.path.join(tmp, "convert-in.csv")
    log("writing a %d MiB CSV with %d closed codes" % (mib, len(closed)))
    size = make_input(src, mib, closed + ["000.00.00.H17", "000.00.00.H14"])
    null = open(os.devnull, "wb")
    try:
        ref = benchlib.timed(["cat", src], env=env, stdout=null)
        idle = benchlib.timed([cli, "convert", "--since", "9999-01-01", src, "-o", os.devnull], env=env)
        full = benchlib.timed([cli, "convert", src, "-o", os.devnull], env=env)
    finally:
        null.close()
        os.remove(src)
    for name, t in (("nothing to rewrite", idle), ("conversion", full)):
        if t["rc"] != 0:
            raise BenchError("convert (%s) exited %d" % (name, t["rc"]))
    mb = size / 1e6
    rss_mib = full["maxrss_kb"] / 1024.0
    log("convert: %.0f MB in %.1f s wall, %.1f s CPU, peak RSS %.1f MiB; nothing to rewrite %.1f s CPU; cat %.2f s CPU"
        % (mb, full["wall"], full["cpu"], rss_mib, idle["cpu"], ref["cpu"]))
    results = [
        result("convert_1gb_peak_rss", rss_mib, "MiB", "goal", RSS_GOAL_MIB,
               "peak RSS of converting a %d MiB CSV under %d MiB" % (mib, RSS_GOAL_MIB),
               lambda v, r: v < RSS_GOAL_MIB),
        result("convert_mb_per_cpu_s", mb / max(full["cpu"], 1e-6), "MB/CPU-s",
               "the converter with nothing to rewrite", mb / max(idle["cpu"], 1e-6), None, None,
               note="cat reads the same file at %.0f MB per CPU second" % (mb / max(ref["cpu"], 1e-6)),
               reference_unit="MB/CPU-s"),
    ]
    details = {"bytes": size, "closed_codes": len(closed), "convert": full, "nothing_to_rewrite": idle, "cat": ref}
    return results, details, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=1024, help="size of the generated CSV (default 1024)")
    a = ap.parse_args()

    class Ctx:
        pass

    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="lt_bench_convert_")
    try:
        benchlib.build_helpers(ctx.tmp)
        results, _, _ = run(ctx, a.mib)
        for r in results:
            print("%s: %s %s (reference %s %s)%s" % (r["name"], r["value"], r["unit"], r["reference_name"],
                                                   r["reference_value"], "" if r["met"] else "  GOAL MISSED"))
        return 0 if all(r["met"] for r in results) else 1
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
