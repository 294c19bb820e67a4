#!/usr/bin/env python3
"""Integration test of code conversion (design.md §6) on the demo registry,
where Quảng Nam merged into Đà Nẵng on 2025-07-01, and one of the moved
departments is then split in two:

- GET /v1/transition/map and `lienthong transition map` (CSV, JSON, SQL),
  who may read it, and the record of a system's fetch;
- search landing on a closed code;
- `lienthong convert` on a 100,000-line CSV and on a JSON export of a
  system's dictionary: every closed code rewritten, the split's occurrences
  reported with their locations, exit 1 until --choose settles them;
  XML attributes and text; --detect; --sum;
- a few hundred MB streamed through the converter in bounded memory.

Standard library only; ends with "N passed, M failed".
"""

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import time
import unittest

import ltd

DN_TAI_CHINH_OLD = "000.00.03.H47"  # Sở Tài chính tỉnh Quảng Nam, merged into Đà Nẵng's by the demo plan
SPLIT_DECISION = ["--decision-number", "15/2026/QĐ-UBND", "--decision-date", "2026-01-05",
                  "--decision-issuer", "Ủy ban nhân dân thành phố Đà Nẵng", "--effective", "2026-01-15"]
HEADER = "old_code,new_code,old_name,new_name,kind,effective,decision_number,ambiguous"
RSS_LIMIT_MIB = 64


def peak_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


class TransitionConvert(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_convert_")
        # The moved department splits: its 2020 code now needs a choice.
        moved = cls.reg.check("unit", "resolve", DN_TAI_CHINH_OLD, "--json")
        cls.moved = json.loads(moved)["current"][0]
        cls.reg.check("unit", "split", cls.moved, "--into", f"{ltd.DN}:Sở Tài chính thành phố Đà Nẵng",
                      "--into", f"{ltd.DN}:Kho bạc thành phố Đà Nẵng", *SPLIT_DECISION)
        cls.split_to = json.loads(cls.reg.check("unit", "resolve", DN_TAI_CHINH_OLD, "--json"))["current"]
        cls.d = ltd.Daemon(cls.reg).start()
        cls.admin = cls.reg.token("admin")
        cls.map_rows = list(csv.DictReader(io.StringIO(cls.reg.check("transition", "map"))))
        cls.closed = sorted({r["old_code"] for r in cls.map_rows})

    def path(self, name):
        return os.path.join(self.reg.dir, name)

    # ---- the mapping ----

    def test_map_csv_follows_lineage(self):
        r = self.d.request("GET", "/v1/transition/map")
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        text = r.text()
        self.assertEqual(text.splitlines()[0], HEADER)
        self.assertEqual(text, self.reg.check("transition", "map"), "the CLI and the API give the same mapping")
        rows = list(csv.DictReader(io.StringIO(text)))
        by_old = {}
        for row in rows:
            by_old.setdefault(row["old_code"], []).append(row)
        # Quảng Nam: one row, to Đà Nẵng.
        self.assertEqual([(x["new_code"], x["ambiguous"]) for x in by_old[ltd.QN]], [(ltd.DN, "false")])
        # Through two reorganisations (merger, then split): both current units, ambiguous.
        tc = by_old[DN_TAI_CHINH_OLD]
        self.assertEqual(sorted(x["new_code"] for x in tc), sorted(self.split_to))
        self.assertTrue(all(x["ambiguous"] == "true" and x["kind"] == "merge" for x in tc), tc)
        self.assertEqual(tc[0]["decision_number"], "202/2025/QH15")
        # The intermediate code too, closed by the split.
        self.assertEqual({x["kind"] for x in by_old[self.moved]}, {"split"})
        # Every new code is active.
        for code in {x["new_code"] for x in rows}:
            u = self.d.request("GET", f"/v1/units/{code}").json()
            self.assertEqual(u["status"], "active", code)

    def test_map_filters_and_json(self):
        r = self.d.request("GET", "/v1/transition/map?format=json&since=2026-01-01")
        self.assertStatus(r, 200)
        doc = r.json()
        self.assertEqual(doc["since"], "2026-01-01")
        self.assertEqual({x["old_code"] for x in doc["rows"]}, {self.moved})
        r = self.d.request("GET", f"/v1/transition/map?format=json&under={ltd.QN}")
        olds = {x["old_code"] for x in r.json()["rows"]}
        self.assertIn(ltd.QN, olds)
        self.assertNotIn(self.moved, olds)
        r = self.d.request("GET", f"/v1/transition/map?format=json&under={ltd.CB}")
        self.assertEqual(r.json()["rows"], [])
        # plan=ID: the codes the demo's Quảng Nam plan closed, not the later split.
        plans = self.d.request("GET", "/v1/plans", token=self.admin).json()["items"]
        qn = [p["id"] for p in plans if "Quảng Nam" in p["title"]][-1]
        doc = self.d.request("GET", f"/v1/transition/map?format=json&plan={qn}").json()
        self.assertEqual(doc["plan"], qn)
        olds = {x["old_code"] for x in doc["rows"]}
        self.assertIn(ltd.QN, olds)
        self.assertIn(DN_TAI_CHINH_OLD, olds)
        self.assertNotIn(self.moved, olds)
        cli_map = self.reg.check("transition", "map", "--plan", str(qn))
        self.assertEqual(olds, {line.split(",")[0] for line in cli_map.splitlines()[1:]})
        self.assertError(self.d.request("GET", "/v1/transition/map?plan=999999"), 404)
        self.assertError(self.d.request("GET", "/v1/transition/map?plan=abc"), 400)
        self.assertError(self.d.request("GET", "/v1/transition/map?since=2025-02-30"), 400)
        self.assertError(self.d.request("GET", "/v1/transition/map?under=H47"), 400)
        self.assertError(self.d.request("GET", "/v1/transition/map?format=xlsx"), 400)

    def test_map_sql(self):
        r = self.d.request("GET", "/v1/transition/map?format=sql&table=qlvb.don_vi&column=ma_dinh_danh")
        self.assertStatus(r, 200)
        sql = r.text()
        lines = sql.splitlines()
        self.assertIn("BEGIN;", lines)
        self.assertEqual(lines[-1 if not lines[-1].startswith("--") else -2], "COMMIT;")
        self.assertIn(f"UPDATE \"qlvb\".\"don_vi\" SET \"ma_dinh_danh\" = '{ltd.DN}' WHERE \"ma_dinh_danh\" = "
                      f"'{ltd.QN}';", lines)
        statements = [ln for ln in lines if ln.startswith("UPDATE")]
        self.assertFalse([ln for ln in statements if DN_TAI_CHINH_OLD in ln], "no statement for the split")
        self.assertIn(f"-- NEEDS A CHOICE: {DN_TAI_CHINH_OLD}", sql)
        for bad in ("table=don_vi;DROP%20TABLE%20x&column=c", "table=t&column=a%22b", "table=t", "column=c"):
            self.assertError(self.d.request("GET", f"/v1/transition/map?format=sql&{bad}"), 400, msg=bad)

    def test_map_readers_and_fetch_record(self):
        # With public reads off, an anonymous caller is refused; a reader is not.
        d = ltd.Daemon(self.reg, PUBLIC_READ="false").start()
        try:
            self.assertError(d.request("GET", "/v1/transition/map"), 401)
            self.assertStatus(d.request("GET", "/v1/transition/map", token=self.reg.token("reader")), 200)
            self.assertError(d.request("GET", "/v1/transition/map", token="not-a-token"), 401)
            self.assertError(d.request("POST", "/v1/transition/detect?format=csv", body=f"ma\n{ltd.QN}\n".encode()), 401)
        finally:
            self.assertEqual(d.stop(), 0)
        # A connected system's fetch is recorded (the campaigns' map_fetched).
        sysinfo = self.reg.system_add("QLVB Đà Nẵng", ltd.DN)
        r = self.d.request("GET", "/v1/transition/map?format=json&since=2025-07-01", token=sysinfo["token"])
        self.assertStatus(r, 200)
        audit = self.d.request("GET", f"/v1/audit?target=system:{sysinfo['id']}", token=self.admin).json()
        fetches = [a for a in audit["items"] if a["action"] == "transition.map_fetch"]
        self.assertEqual(len(fetches), 1, audit)
        self.assertEqual(fetches[0]["detail"]["since"], "2025-07-01")

    # ---- search ----

    def test_search_lands_on_old_code(self):
        for q in (ltd.QN, f"%20{ltd.QN}%20"):
            r = self.d.request("GET", f"/v1/units?q={q}")
            self.assertStatus(r, 200)
            doc = r.json()
            self.assertEqual([u["code"] for u in doc["items"]], [ltd.QN, ltd.DN])
            self.assertEqual(doc["landed"], {"code": ltd.QN, "current": [ltd.DN]})
        doc = self.d.request("GET", f"/v1/units?q={DN_TAI_CHINH_OLD}&status=active").json()
        self.assertEqual([u["code"] for u in doc["items"]], [DN_TAI_CHINH_OLD, *self.split_to])
        # The CLI's search lands the same way.
        doc = json.loads(self.reg.check("unit", "search", ltd.QN, "--json"))
        self.assertEqual([u["code"] for u in doc["items"]], [ltd.QN, ltd.DN])
        self.assertEqual(doc["landed"], {"code": ltd.QN, "current": [ltd.DN]})
        p = self.reg.run("unit", "search", ltd.QN)
        self.assertIn(f"{ltd.QN} is closed; it leads to 1 active unit", p.stderr)
        self.assertIn(ltd.DN, p.stdout)
        # A prefix or an active code searches as before.
        self.assertNotIn("landed", self.d.request("GET", "/v1/units?q=000.00.00.H4").json())
        self.assertNotIn("landed", self.d.request("GET", f"/v1/units?q={ltd.DN}").json())

    # ---- the converter ----

    def convert(self, *args, stdin=None):
        return subprocess.run([ltd.CLI, "convert", *args], cwd=self.reg.dir, env=self.reg.env, capture_output=True,
                              input=stdin, timeout=120)

    def test_convert_100k_line_csv(self):
        active = [ltd.DN, ltd.CB, "000.00.00.G22"]
        codes = self.closed + active
        src = self.path("big.csv")
        split_lines = []
        with open(src, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["stt", "ma_don_vi", "noi_dung"])
            for i in range(1, 100_000):
                code = codes[i % len(codes)]
                w.writerow([i, code, f"văn bản gửi {codes[(i * 7) % len(codes)]} lúc {i}"])
                for c in (code, codes[(i * 7) % len(codes)]):
                    if c in (DN_TAI_CHINH_OLD, self.moved):
                        split_lines.append(i + 1)
        out, rep = self.path("big.out.csv"), self.path("big.report.json")
        p = self.convert(src, "-o", out, "--report", rep)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"--choose " + DN_TAI_CHINH_OLD.encode(), p.stderr)
        report = json.load(open(rep))
        amb = report["ambiguous"]
        self.assertEqual(sorted({a["line"] for a in amb}), sorted(set(split_lines)))
        self.assertEqual({a["code"] for a in amb}, {DN_TAI_CHINH_OLD, self.moved})
        self.assertEqual({a["column"] for a in amb}, {2, 3})
        with open(out) as f:
            text = f.read()
        self.assertEqual(len(text.splitlines()), 100_000)
        for old in self.closed:
            if old not in (DN_TAI_CHINH_OLD, self.moved):
                self.assertNotIn(old, text, f"{old} was not rewritten")
        self.assertEqual(report["unresolved"], len(amb))
        self.assertEqual(report["codes"][ltd.QN]["to"], ltd.DN)
        # --choose settles it: exit 0, no closed code left.
        p = self.convert(src, "-o", out, "--choose", f"{DN_TAI_CHINH_OLD}={self.split_to[1]}", "--choose",
                         f"{self.moved}={self.split_to[0]}")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            text = f.read()
        for old in self.closed:
            self.assertNotIn(old, text, f"{old} is still in the output")
        # The rows are the same rows, only the codes changed.
        with open(src) as a, open(out) as b:
            for la, lb in zip(a, b):
                self.assertEqual(la.split(",")[0], lb.split(",")[0])
        # A choice outside the split's successors is a usage error.
        p = self.convert(src, "-o", out, "--choose", f"{DN_TAI_CHINH_OLD}={ltd.CB}")
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_convert_json_dictionary(self):
        # A system's dictionary of agencies, as exported before the merger.
        before = self.reg.export_text("--as-of", "2025-06-30", "--under", ltd.QN)
        records = [{"MaDinhDanh": r["code"], "TenDonVi": r["name"], "MaDinhDanhCha": r["parent"] or None}
                   for r in csv.DictReader(io.StringIO(before))]
        self.assertGreater(len(records), 5)
        src = self.path("dict.json")
        with open(src, "w") as f:
            json.dump({"data": records, "total": len(records)}, f, ensure_ascii=False, indent=1)
        out, rep = self.path("dict.out.json"), self.path("dict.report.json")
        p = self.convert(src, "-o", out, "--report", rep)
        self.assertEqual(p.returncode, 1, p.stderr)
        report = json.load(open(rep))
        idx = [i for i, r in enumerate(records) if r["MaDinhDanh"] == DN_TAI_CHINH_OLD][0]
        self.assertEqual([a["pointer"] for a in report["ambiguous"]], [f"/data/{idx}/MaDinhDanh"])
        converted = json.load(open(out))
        self.assertEqual(converted["total"], len(records))
        mapping = {r["old_code"]: r["new_code"] for r in self.map_rows if r["ambiguous"] == "false"}
        for a, b in zip(records, converted["data"]):
            self.assertEqual(b["TenDonVi"], a["TenDonVi"])
            if a["MaDinhDanh"] in mapping:
                self.assertEqual(b["MaDinhDanh"], mapping[a["MaDinhDanh"]])
            if a["MaDinhDanhCha"] in mapping:
                self.assertEqual(b["MaDinhDanhCha"], mapping[a["MaDinhDanhCha"]])
        p = self.convert(src, "-o", out, "--choose", f"{DN_TAI_CHINH_OLD}={self.split_to[0]}")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.load(open(out))["data"][idx]["MaDinhDanh"], self.split_to[0])

    def test_convert_xml_and_errors(self):
        src = self.path("pkg.xml")
        with open(src, "w") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<edXMLEnvelope><edXMLHeader><MessageHeader>'
                    f'<From><OrganId>{ltd.QN}</OrganId></From><To><OrganId>{DN_TAI_CHINH_OLD}</OrganId></To>'
                    f'<DocumentId>{ltd.QN},2025/05/01,12/UBND</DocumentId></MessageHeader></edXMLHeader>'
                    f'<x code="{ltd.QN}"/></edXMLEnvelope>')
        p = self.convert(src, "--report", self.path("x.json"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"<OrganId>{ltd.DN}</OrganId>".encode(), p.stdout)
        self.assertIn(f"<DocumentId>{ltd.DN},2025/05/01,12/UBND</DocumentId>".encode(), p.stdout)
        self.assertIn(f'code="{ltd.DN}"'.encode(), p.stdout)
        report = json.load(open(self.path("x.json")))
        self.assertEqual([a["xpath"] for a in report["ambiguous"]],
                         ["/edXMLEnvelope[1]/edXMLHeader[1]/MessageHeader[1]/To[1]/OrganId[1]/text()"])
        # Usage and input errors.
        self.assertEqual(self.convert().returncode, 2)
        self.assertEqual(self.convert(self.path("nothing.csv")).returncode, 3)
        self.assertEqual(self.convert(src, "--format", "yaml").returncode, 2)
        self.assertEqual(self.convert("-", stdin=b"x").returncode, 2, "standard input needs --format")
        p = self.convert("--format", "json", "-", stdin=b'{"a":')
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn(b"JSON syntax error", p.stderr)
        # A signed package is refused unless it will be signed again.
        signed = self.path("signed.xml")
        with open(signed, "w") as f:
            f.write(f'<p><f>{ltd.QN}</f><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>'
                    f'AAAA</SignatureValue></Signature></p>')
        p = self.convert(signed, "-o", self.path("signed.out.xml"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"--resign-needed", p.stderr)
        self.assertFalse(os.path.exists(self.path("signed.out.xml")), "nothing written")
        p = self.convert(signed, "--resign-needed")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(b"Signature", p.stdout)

    def test_detect_and_sum(self):
        src = self.path("old.csv")
        with open(src, "w") as f:
            f.write(f"ma,ten,so_van_ban\n{ltd.QN},Quảng Nam,10\n{ltd.DN},Đà Nẵng,5\n000.00.00.G22,VPCP,1\n"
                    f"000.00.01.H47,VP UBND QN,2\n")
        p = self.reg.run("--json", "convert", "--detect", src)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = json.loads(p.stdout)
        self.assertEqual(d["date"], "2025-06-30")
        self.assertEqual(d["active_on_date"], 4)
        self.assertEqual(d["closed_since"], 2)
        self.assertEqual(d["since"], "2025-07-01")
        self.assertEqual(sorted(r["old_code"] for r in d["mapping"]), [ltd.QN, "000.00.01.H47"])
        # The same through the API, for a web page's upload.
        body = open(src, "rb").read()
        r = self.d.request("POST", "/v1/transition/detect", body=body, headers={"Content-Type": "text/csv"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), d)
        self.assertEqual(self.d.request("POST", "/v1/transition/detect?format=csv", body=body).json(), d)
        self.assertError(self.d.request("POST", "/v1/transition/detect", body=body,
                                        headers={"Content-Type": "application/octet-stream"}), 400)
        self.assertError(self.d.request("POST", "/v1/transition/detect?format=json", body=b'{"a":'), 400)
        self.assertError(self.d.request("POST", "/v1/transition/detect?format=csv", body=b""), 400)
        p = self.convert("--sum", "so_van_ban", src)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
        self.assertEqual(len(rows), 3)
        dn = [r for r in rows if r["ma"] == ltd.DN][0]
        self.assertEqual((dn["ten"], dn["so_van_ban"]), ("Đà Nẵng", "15"))
        self.assertEqual(self.convert("--sum", "khong_co", src).returncode, 3)

    def test_output_to_a_fifo_stays_a_fifo(self):
        """-o naming a pipe or a device (-o /dev/null) writes into it: the
        file that appears whole must not be renamed over it (as root, that
        replaced /dev/null with a regular file)."""
        src = self.path("fifo-in.csv")
        with open(src, "w") as f:
            f.write(f"ma\n{ltd.QN}\n")
        for args in (["convert", src], ["export", "--under", ltd.CB]):
            fifo = self.path("out.fifo")
            if os.path.exists(fifo):
                os.unlink(fifo)
            os.mkfifo(fifo)
            reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
            p = self.reg.run(*args, "-o", fifo)
            try:
                got, _ = reader.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                reader.kill()
                got = b""
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode), f"{args[0]} -o replaced the FIFO")
            self.assertTrue(got, f"{args[0]} wrote nothing into the FIFO")
        self.assertIn(ltd.DN.encode(), subprocess.run([ltd.CLI, "convert", src, "-o", "/dev/stdout"],
                                                      cwd=self.reg.dir, env=self.reg.env,
                                                      capture_output=True).stdout)

    def test_bounded_memory(self):
        """A few hundred MB through a pipe: the converter's peak RSS stays
        under 64 MiB (the 1 GB run is in bench/convert.py)."""
        # 200 MiB, or what 40 s of streaming carries on a slow (sanitizer,
        # shared) build, but never under 48 MiB.
        size_mib = int(os.environ.get("LT_CONVERT_MIB", "200"))
        budget_s = 40
        p = subprocess.Popen([ltd.CLI, "convert", "--format", "csv", "-", "--choose",
                              f"{DN_TAI_CHINH_OLD}={self.split_to[0]}", "--choose",
                              f"{self.moved}={self.split_to[0]}"],
                             cwd=self.reg.dir, env=self.reg.env, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line = ",".join(self.closed[:8]) + ",\"ghi chú " + ltd.QN + " và " + ltd.DN + "\"\n"
        chunk = (line * ((1 << 20) // len(line) + 1)).encode()
        t0 = time.monotonic()
        written = 0
        peak = 0
        while written < size_mib << 20 and (written < 48 << 20 or time.monotonic() - t0 < budget_s):
            p.stdin.write(chunk)
            written += len(chunk)
            if written % (32 << 20) < len(chunk):
                peak = max(peak, peak_kib(p.pid))
        p.stdin.flush()
        peak = max(peak, peak_kib(p.pid))
        p.stdin.close()
        err = p.stderr.read()
        self.assertEqual(p.wait(timeout=120), 0, err)
        print(f"{written >> 20} MiB converted in {time.monotonic() - t0:.1f}s, peak RSS {peak / 1024:.1f} MiB")
        self.assertLess(peak / 1024, RSS_LIMIT_MIB)


class DocExamples(unittest.TestCase):
    """The examples of docs/transition.md, run in order on a fresh demo
    registry: each command prints what the page shows."""

    def test_docs_transition_examples(self):
        with open(os.path.join(ltd.SOURCE_DIR, "docs", "transition.md"), encoding="utf-8") as f:
            doc = f.read()
        reg = ltd.Registry(prefix="lt_test_convert_docs_")
        try:
            for name, body in re.findall(r"```csv file=(\S+)\n(.*?)```", doc, re.S):
                with open(os.path.join(reg.dir, name), "w", encoding="utf-8") as f:
                    f.write(body)
            steps = []
            for block in re.findall(r"```console\n(.*?)```", doc, re.S):
                for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
                    cmd, _, out = part.partition("\n")
                    steps.append((cmd, out))
            self.assertGreaterEqual(len(steps), 8)
            script = "".join(f"__rc=$?; printf '\\n@@@\\n'; (exit $__rc); {cmd} 2>&1\n" for cmd, _ in steps)
            env = dict(reg.env, PATH=ltd.BUILD_DIR + os.pathsep + os.environ.get("PATH", ""))
            p = subprocess.run(["bash", "-c", script], cwd=reg.dir, env=env, capture_output=True, encoding="utf-8",
                               timeout=120)
            outputs = p.stdout.split("\n@@@\n")[1:]
            self.assertEqual(len(outputs), len(steps), p.stdout + p.stderr)
            for (cmd, want), got in zip(steps, outputs):
                # A change's number depends on what the data recorded before.
                self.assertEqual(re.sub(r"change \d+", "change N", got), re.sub(r"change \d+", "change N", want),
                                 f"$ {cmd}")
        finally:
            reg.close()


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
