#!/usr/bin/env python3
"""Differential test of the streaming signature verifier (issue 23): for
some hundreds of packages (sigdiff.py: 110 signed by xmlsec1 with varied
namespaces, prefixes, whitespace, attribute orders, comments, PIs, CDATA,
character references, every accepted canonicalization and SHA-1/256/512,
each with its tampered and harmlessly edited copies), the streaming
verifier (the hub's and `lienthong verify`'s) must say "valid" exactly when `xmlsec1 --verify` with the same trusted
certificates says OK. Deterministic seed; runs in seconds.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library plus Debian's xmlsec1 and openssl. Ends with a line
"N passed, M failed".
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import sigdiff  # noqa: E402

SEED = 23
PACKAGES = 110


def xmlsec_verdicts(xmlsec1, certs, files):
    """{file: True/False} from xmlsec1 --verify, which stops at the first
    file that does not verify: each run resumes after it."""
    out = {}
    rest = list(files)
    trusted = [a for c in certs for a in ("--trusted-pem", c)]
    while rest:
        p = subprocess.run([xmlsec1, "--verify", *trusted, *rest], capture_output=True, text=True)
        oks = sum(1 for line in p.stderr.splitlines() if line.strip() == "OK")
        for f in rest[:oks]:
            out[f] = True
        if oks < len(rest):
            out[rest[oks]] = False
        rest = rest[oks + 1:]
    return out


def ours(files):
    """{file: (verdict, reason)} from the streaming verifier, in one process
    (tests/tools/sig_verdicts.c)."""
    tool = os.path.join(ltd.BUILD_DIR, "tests", "sig_verdicts")
    p = subprocess.run([tool], input="".join(f + "\n" for f in files), capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    assert len(lines) == len(files), p.stderr
    return {f: tuple(line.split("\t", 1)) for f, line in zip(files, lines)}


class SigDifferential(unittest.TestCase):
    def test_verdicts_agree_with_xmlsec1(self):
        xmlsec1 = shutil.which("xmlsec1")
        self.assertIsNotNone(xmlsec1, "xmlsec1 (Debian's xmlsec1 package, in scripts/deps) is needed")
        with tempfile.TemporaryDirectory(prefix="lt_sigdiff_") as tmp:
            keys = sigdiff.make_keys(tmp)
            tmpls = sigdiff.templates(SEED, PACKAGES)
            signed = sigdiff.sign_all(xmlsec1, keys, tmpls, tmp)
            files = []
            rnd = random.Random(SEED)
            for name in sorted(signed):
                for vname, data in sigdiff.variants(name, signed[name], rnd):
                    path = os.path.join(tmp, vname + ".xml")
                    with open(path, "wb") as f:
                        f.write(data)
                    files.append(path)
            certs = [keys["rsa"][1], keys["ec"][1]]
            with ThreadPoolExecutor(max_workers=2) as ex:
                theirs = {}
                for part in ex.map(lambda half: xmlsec_verdicts(xmlsec1, certs, half), (files[0::2], files[1::2])):
                    theirs.update(part)
            mine = ours(files)
            disagree = [(os.path.basename(f), theirs[f], mine[f]) for f in files
                        if theirs[f] != (mine[f][0] == "valid")]
            valid = sum(1 for f in files if theirs[f])
            kinds = {}
            for f in files:
                k = os.path.basename(f)[:-4].partition("-")[2] or "signed"
                kinds.setdefault(k, [0, 0])[0 if theirs[f] else 1] += 1
            print(f"{len(files)} packages ({len(signed)} signed, the rest edited): xmlsec1 says {valid} valid; "
                  f"by kind (valid, invalid): {kinds}")
            for name, t, m in disagree[:10]:
                print(f"  {name}: xmlsec1 {'OK' if t else 'FAIL'}, lienthong {m}")
            self.assertEqual(disagree, [], "verdicts that differ from xmlsec1's")
            # Every kind of edit occurs, and the untouched packages all verify.
            for k in ("signed", "text", "attr", "ns", "siginfo", "sigvalue", "moved", "comment", "utf16"):
                self.assertIn(k, kinds)
            self.assertEqual(kinds["signed"][1], 0, "xmlsec1 refused an untouched package: the generator is wrong")
            self.assertEqual(kinds["text"][0], 0)
            self.assertEqual(kinds["sigvalue"][0], 0)
            self.assertGreater(len(files), 500)
            self.assertGreater(valid, 250)
            self.assertGreater(len(files) - valid, 150)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
