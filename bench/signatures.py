"""Signature verification benchmark (issue 7): with `signature_policy =
require`, 1,000 signed packages of about 100 KB pass through the hub, each
verified (XML-DSig, RSA-2048 with SHA-256, the signer certificate bound to
the sender's code); verifications per second per core = packages / CPU
seconds of the daemon over the run (/proc/PID/stat, user + system), against
`openssl speed -seconds 3 rsa2048` verify/s on one core in the same run.

The daemon's CPU over the run is the whole send (upload, edXML checks,
routing, durable storage) plus the verification. The same number of
unsigned packages of the same size sent to a hub with `signature_policy =
off` just before gives the cost without it; the difference is what
verification itself costs, reported in the details.

Setup: a fresh `lienthong init --demo` registry; scripts/test-ca makes a
throw-away CA and an RSA-2048 key and certificate naming 000.00.00.G22; the
packages are signed with `lienthong sign` in parallel (not measured); the
certificate is registered with POST /v1/units/000.00.00.G22/certificates
and an admin token; one unsigned package must get 422 before the 1,000
signed ones, which must all get 201.

sig_verify_vs_xmlsec (issue 23) is measured in-process, not through the
hub: bench/sig_verify_ref.c (bare xmlsec: xmlReadMemory of the package
held in memory, xmlSecDSigCtxVerify with the signer's key loaded once)
and bench/sig_verify_stream.c (the hub's lt_sign_verify_file on the same
signed files, as the upload path calls it on its spool file) take turns
on the same 50 packages, each for INPROC_SECONDS of its own CPU time;
verifications per CPU second of each, summed over the turns."""
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import perf_profile
from benchlib import BUILD, CLI, ROOT, BenchError, Daemon, log
from exchange import PACKAGE_BYTES, Hub, attachment_size, build_xload, run_xload, write_package
from report import result

SIGNER = "000.00.00.G22"
LANES = 8
# The send's parts (upload.c) and the verification's (src/sign/).
FOCUS = ("lt_upload_feed", "judge_signature", "lt_sign_verify_file", "digest_package", "signature_doc",
         "xmlC14NExecute", "check_value", "lt__dsig_keyinfo_certs", "lt_sign_check_binding", "place_body",
         "lt__commit_job")
# sig_verify_vs_xmlsec: CPU seconds each side gets per turn, and turns.
INPROC_SECONDS = 2.0
INPROC_TURNS = 2


def test_ca(where):
    p = subprocess.run([os.path.join(ROOT, "scripts", "test-ca"), where, SIGNER], capture_output=True, text=True)
    if p.returncode != 0 or len(p.stdout.split()) != 2:
        raise BenchError("scripts/test-ca failed: %s %s" % (p.stdout, p.stderr))
    return p.stdout.split()


def sign_all(env, key, cert, files, out_dir, workers):
    os.makedirs(out_dir, exist_ok=True)

    def one(path):
        out = os.path.join(out_dir, os.path.basename(path))
        with open(out, "wb") as f:
            p = subprocess.run([CLI, "sign", "--key", key, "--cert", cert, path], env=env, stdout=f,
                               stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise BenchError("lienthong sign %s: %s" % (path, p.stderr.decode(errors="replace")))
        return out

    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(one, files))


def post(port, path, body, token, ctype):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, body=body, headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def manifest(path, token, files):
    with open(path, "w") as f:
        for i, p in enumerate(files):
            f.write("S %d %s %s\n" % (i % LANES, token, p))
        f.write("D 0\n")
    return path


def openssl_speed():
    """openssl speed -seconds 3 rsa2048: RSA-2048 sign/s and verify/s on one core."""
    p = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"], capture_output=True, text=True)
    m = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)\s*$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise BenchError("cannot read `openssl speed rsa2048`: %s %s" % (p.stdout[-500:], p.stderr[-500:]))
    return {"sign_per_s": float(m.group(1)), "verify_per_s": float(m.group(2)),
            "version": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()}


def inproc(files, cert):
    """Verifications per CPU second: bare xmlsec and the streaming verifier,
    taking turns on the same signed packages."""
    exes = {}
    for name in ("bench_sig_verify_ref", "bench_sig_verify_stream"):
        p = subprocess.run(["cmake", "--build", BUILD, "--target", name], capture_output=True, text=True)
        exes[name] = os.path.join(BUILD, name)
        if p.returncode != 0 or not os.access(exes[name], os.X_OK):
            raise BenchError("cannot build %s: %s" % (name, (p.stdout + p.stderr)[-2000:]))
    sums = {"xmlsec": [0, 0.0], "stream": [0, 0.0]}
    for _ in range(INPROC_TURNS):
        for side, argv in (("xmlsec", [exes["bench_sig_verify_ref"], str(INPROC_SECONDS), cert]),
                           ("stream", [exes["bench_sig_verify_stream"], str(INPROC_SECONDS)])):
            p = subprocess.run(argv + files, capture_output=True, text=True)
            if p.returncode != 0:
                raise BenchError("%s: %s %s" % (os.path.basename(argv[0]), p.stdout[-500:], p.stderr[-1000:]))
            r = json.loads(p.stdout)
            sums[side][0] += r["verifications"]
            sums[side][1] += r["cpu_s"]
    return {side: {"verifications": v, "cpu_s": c, "per_core_s": v / c} for side, (v, c) in sums.items()}


def send_all(exe, daemon, man, tmp, tag, n):
    r = run_xload(exe, daemon, man, tmp, tag)
    if r["accepted"] != n or r["sends_started"] != n or r["status"].get("201", 0) != n:
        raise BenchError("%s: %d of %d packages got 201 (status codes %s): %s"
                         % (tag, r["status"].get("201", 0), n, r["status"], r["first_error"]))
    return r


def run(ctx):
    n = ctx.sig_packages
    rnd = random.Random(7)
    xload = build_xload(ctx.tmp)
    hub = Hub(ctx.tmp, "sig")
    key, cert = test_ca(os.path.join(hub.dir, "ca"))
    token = hub.add_system("bench signer", SIGNER)
    admin = hub.admin_token()
    to = [c for c in hub.level1_codes() if c != SIGNER][:10]
    att = attachment_size(SIGNER, to, PACKAGE_BYTES)
    log("signatures: writing %d + %d packages of ~%d KB from %s, signing %d with lienthong sign (%d at a time)"
        % (n, n, PACKAGE_BYTES // 1024, SIGNER, n, ctx.threads))
    udir, bdir = os.path.join(hub.dir, "unsigned"), os.path.join(hub.dir, "baseline")
    os.makedirs(udir)
    os.makedirs(bdir)
    plain, base, sizes = [], [], []
    for i in range(n):
        plain.append(os.path.join(udir, "p%d.xml" % i))
        write_package(plain[-1], SIGNER, to, i + 1, rnd, att)
        base.append(os.path.join(bdir, "b%d.xml" % i))
        write_package(base[-1], SIGNER, to, n + i + 1, rnd, att)
    t = time.monotonic()
    signed = sign_all(hub.env, key, cert, plain, os.path.join(hub.dir, "signed"), os.cpu_count() or 2)
    sign_s = time.monotonic() - t
    sizes = [os.path.getsize(p) for p in signed]
    base_size = sum(os.path.getsize(p) for p in base) / n
    log("signatures: signed in %.1f s; mean signed package %.0f bytes" % (sign_s, sum(sizes) / n))
    log("signatures: in-process, bare xmlsec and the streaming verifier taking turns (%d x %.0f s CPU each)"
        % (INPROC_TURNS, INPROC_SECONDS))
    ip = inproc(signed[:50], cert)
    log("signatures: in-process %.0f verifications/s/core streaming, %.0f bare xmlsec"
        % (ip["stream"]["per_core_s"], ip["xmlsec"]["per_core_s"]))

    # Two rounds, each half of the signed packages under `require` and half of
    # the unsigned ones (same size) under `off`, alternating which goes
    # first, so both see the same machine.
    halves = [(0, n // 2), (n // 2, n)]
    runs = {"off": [], "require": []}
    rss, unsigned_reply, prof = 0.0, None, None
    for i, (lo, hi) in enumerate(halves):
        for policy in (("off", "require") if i % 2 == 0 else ("require", "off")):
            d = Daemon(hub.dir, hub.db, ctx.threads, "lienthongd-sig-%s-%d" % (policy, i))
            d.env["LIENTHONG_SIGNATURE_POLICY"] = policy
            d.start()
            try:
                if policy == "off":
                    r = send_all(xload, d, manifest(os.path.join(hub.dir, "off-%d.manifest" % i), token, base[lo:hi]),
                                 ctx.tmp, "xload-sig-off-%d" % i, hi - lo)
                else:
                    if unsigned_reply is None:
                        with open(cert, "rb") as f:
                            st, body = post(d.port, "/v1/units/%s/certificates" % SIGNER, f.read(), admin,
                                            "application/x-pem-file")
                        if st != 201:
                            raise BenchError("registering the certificate answered %d: %r" % (st, body[:300]))
                        with open(plain[0], "rb") as f:
                            st, body = post(d.port, "/v1/documents", f.read(), token, "application/xml")
                        if st != 422:
                            raise BenchError("an unsigned package under `require` got %d, not 422: %r"
                                             % (st, body[:300]))
                        unsigned_reply = body.decode(errors="replace")[:300]
                    r = send_all(xload, d, manifest(os.path.join(hub.dir, "require-%d.manifest" % i), token,
                                                    signed[lo:hi]), ctx.tmp, "xload-sig-require-%d" % i, hi - lo)
                    rss = max(rss, d.peak_rss_kb() / 1024.0)
                runs[policy].append(r)
                log("signatures round %d: policy %-7s %d %s packages, all 201 in %.1f s, daemon CPU %.2f s"
                    % (i + 1, policy, hi - lo, "signed" if policy == "require" else "unsigned", r["last_accept_s"],
                       r["daemon_cpu_s"]))
                if ctx.profile and policy == "require" and i == len(halves) - 1:
                    k = min(n, 300)
                    out = os.path.join(ctx.tmp, "perf-signatures.data")
                    log("signatures under perf record (%d signed packages sent again: replays, each verified)" % k)
                    man = manifest(os.path.join(hub.dir, "profile.manifest"), token, signed[:k])
                    prof = perf_profile.profile_daemon_under_load(
                        d, out, lambda: send_all(xload, d, man, ctx.tmp, "xload-sig-profile", k), focus=FOCUS)
                    prof["what"] = "%d signed packages sent again under require (replays: verified, not stored)" % k
                    if not ctx.keep:
                        os.remove(out)
            finally:
                d.stop()

    def total(rs):
        return {"last_accept_s": sum(r["last_accept_s"] for r in rs),
                "daemon_cpu_s": sum(r["daemon_cpu_s"] for r in rs),
                "wall_s": sum(r["wall_s"] for r in rs), "accepted": sum(r["accepted"] for r in rs),
                "status": {"201": sum(r["status"].get("201", 0) for r in rs)},
                "send": {"p50_ms": max(r["send"]["p50_ms"] for r in rs),
                         "p99_ms": max(r["send"]["p99_ms"] for r in rs)},
                "rounds": [{"s": r["last_accept_s"], "daemon_cpu_s": r["daemon_cpu_s"]} for r in rs]}
    off, req = total(runs["off"]), total(runs["require"])
    if req["accepted"] != n or req["status"]["201"] != n:
        raise BenchError("signatures: %d of %d signed packages got 201" % (req["status"]["201"], n))
    log("signatures: openssl speed -seconds 3 rsa2048")
    ossl = openssl_speed()
    if not ctx.keep:
        shutil.rmtree(hub.dir, ignore_errors=True)

    if prof is not None:
        f = prof.get("focus", {})
        js = f.get("judge_signature")
        lines = ["our and library functions (inclusive): " + ", ".join(
            "%s %.1f%%" % (k, v["pct"]) for k, v in sorted(f.items(), key=lambda x: -x[1]["pct"]))]
        if js:
            lines.append("under judge_signature, self time by library: " + ", ".join(
                "%s %.1f%%" % (x["dso"], x["pct"]) for x in js["by_library"]))
            prof["bottleneck"] = ("verification (judge_signature) is %.1f%% of the daemon's samples, the streamed "
                                  "edXML check of the upload (lt_upload_feed) %.1f%%; overall: %s"
                                  % (js["pct"], f.get("lt_upload_feed", {}).get("pct", 0.0), prof["bottleneck"]))
        prof["lines"] = lines
    per_core = n / req["daemon_cpu_s"]
    verify_cpu = req["daemon_cpu_s"] - off["daemon_cpu_s"]
    details = {
        "packages": n, "signer": SIGNER, "key": "RSA-2048, RSA-SHA256, exclusive C14N (lienthong sign)",
        "mean_signed_bytes": sum(sizes) / n, "mean_unsigned_baseline_bytes": base_size,
        "signing_s": sign_s, "lanes": LANES, "daemon_threads": ctx.threads,
        "unsigned_under_require": {"status": 422, "reply": unsigned_reply},
        "require": {"wall_s": req["last_accept_s"], "daemon_cpu_s": req["daemon_cpu_s"],
                    "packages_per_s": n / req["last_accept_s"], "status": req["status"],
                    "send_p50_ms_worst_round": req["send"]["p50_ms"], "send_p99_ms_worst_round": req["send"]["p99_ms"],
                    "daemon_cpu_cores": req["daemon_cpu_s"] / req["wall_s"], "rounds": req["rounds"]},
        "off_baseline": {"wall_s": off["last_accept_s"], "daemon_cpu_s": off["daemon_cpu_s"],
                         "packages_per_s": n / off["last_accept_s"], "rounds": off["rounds"]},
        "cpu_ms_per_package_require": 1000.0 * req["daemon_cpu_s"] / n,
        "cpu_ms_per_package_off": 1000.0 * off["daemon_cpu_s"] / n,
        "verification_cpu_ms_per_package": 1000.0 * verify_cpu / n,
        "verifications_per_core_s_verification_alone": n / verify_cpu if verify_cpu > 0 else None,
        "openssl": ossl, "peak_rss_mb": rss, "in_process": ip}
    results = [
        result("sig_verify_per_core", per_core, "verifications/s/core",
               "openssl speed rsa2048 verify/s (one core)", ossl["verify_per_s"], None, None,
               note="%d signed %.0f KB packages, all 201 under signature_policy=require (an unsigned one: 422); "
                    "%.2f s of daemon CPU (user+sys) for the whole send, %.2f ms per package, of which "
                    "verification %.2f ms (against the same number of unsigned packages with the policy off)"
                    % (n, sum(sizes) / n / 1024.0, req["daemon_cpu_s"], 1000.0 * req["daemon_cpu_s"] / n,
                       1000.0 * verify_cpu / n)),
        result("sig_verify_vs_xmlsec", ip["stream"]["per_core_s"], "verifications/s/core",
               "bare in-process xmlsec (bench/sig_verify_ref.c) on the same packages", ip["xmlsec"]["per_core_s"],
               ">= 0.7x bare xmlsec's verifications per CPU second", lambda v, r: r is not None and r >= 0.7,
               note="in-process, not through the hub: lt_sign_verify_file on %d signed %.0f KB packages against "
                    "xmlReadMemory + xmlSecDSigCtxVerify of the same, taking turns, %d x %.0f s of CPU each"
                    % (min(n, 50), sum(sizes) / n / 1024.0, INPROC_TURNS, INPROC_SECONDS)),
        result("sig_require_pps", n / req["last_accept_s"], "packages/s",
               "the same number of unsigned packages, signature_policy=off", n / off["last_accept_s"], None, None,
               note="wall-clock throughput of the %d signed sends, %d connections from one system" % (n, LANES)),
    ]
    return results, details, prof
