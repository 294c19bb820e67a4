#!/usr/bin/env python3
"""Integration test: a mirror built only from the change feed of lienthongd
equals an export of the registry (issue 5, acceptance 2).

With an admin token, a seeded random script makes 200 lifecycle changes
through the HTTP API on the demo tree (issue, contact update, rename, move,
split, merge into an existing or a new unit, dissolve), choosing targets
that the rules should accept from the daemon's own answers. Refusals are
allowed but counted: each must be a 4xx that writes nothing, and at least
150 of the 200 must succeed. Then a consumer pages through
GET /v1/changes from 0 (with changing page sizes), checks the sequence
numbers are exactly 1..last_seq in order, applies each item's unit snapshot
by code, and compares its active units field by field with
`lienthong export` (run while the daemon keeps running), and every unit the
script touched with GET /v1/units/{code}.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import collections
import os
import random
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltgen  # noqa: E402

ROOTS = ["000.00.00.H14", "000.00.00.H17", "000.00.00.G14"]  # Cao Bằng, Đà Nẵng, Bộ TT&TT
N_CHANGES = 200
MIN_SUCCESSES = 150
SEED = 20261123

UNIT_KEYS = ["name", "parent", "address", "email", "phone", "fax", "website", "valid_from"]


class Tree:
    """The active units under ROOTS, as the daemon reports them now."""

    def __init__(self, d):
        self.units = {}
        for root in ROOTS:
            r = d.get(f"/v1/units/{root}")
            assert r.status == 200, r
            self.units[root] = r.json()
            cursor = None
            while True:
                path = f"/v1/units?under={root}&status=active&limit=500"
                if cursor:
                    path += "&cursor=" + urllib.parse.quote(cursor, safe="")
                r = d.get(path)
                assert r.status == 200, r
                page = r.json()
                for u in page["items"]:
                    self.units[u["code"]] = u
                cursor = page["next_cursor"]
                if not cursor:
                    break
        self.kids = collections.defaultdict(list)
        for u in self.units.values():
            if u["parent"] in self.units:
                self.kids[u["parent"]].append(u["code"])

    def level(self, c):
        return self.units[c]["level"]

    def height(self, c):
        """Levels of active descendants below c (0 for a leaf)."""
        return max((1 + self.height(k) for k in self.kids[c]), default=0)

    def subtree(self, c):
        out = {c}
        for k in self.kids[c]:
            out |= self.subtree(k)
        return out

    def below_roots(self):
        return [c for c in self.units if self.level(c) >= 2]


class FeedMirror(ltd.DaemonTest):

    def setUp(self):
        self.reg = ltd.Registry(prefix="lt_test_daemon_mirror_")
        self.d = None
        try:
            self.admin = self.reg.token("admin", name="mirror script")
            self.d = ltd.Daemon(self.reg).start()
        except Exception:
            self.reg.close()
            raise

    def tearDown(self):
        try:
            if self.d:
                ltd.assert_clean_stop(self, self.d)
        finally:
            self.reg.close()

    # ---- the random script ----

    def decision(self, rnd):
        day = "2026-%02d-%02d" % (rnd.randint(1, 10), rnd.randint(1, 28))
        return {"number": "%d/QĐ-UBND" % rnd.randint(1, 9999), "date": day,
                "issuer": rnd.choice(["Ủy ban nhân dân tỉnh Cao Bằng",
                                      "Ủy ban nhân dân thành phố Đà Nẵng",
                                      "Bộ trưởng Bộ Thông tin và Truyền thông"])}

    def name(self, rnd, level):
        kinds = ltgen.KINDS2 if level <= 2 else ltgen.KINDS3
        return "%s %s %d" % (rnd.choice(kinds), rnd.choice(ltgen.PLACES), rnd.randint(1, 999))

    def contact(self, rnd, full=False):
        n = rnd.randint(1, 99999)
        c = {"address": "%d đường %s, %s" % (rnd.randint(1, 300), rnd.choice(ltgen.PLACES),
                                              rnd.choice(ltgen.PLACES)),
             "email": "vanthu%d@example.gov.vn" % n, "phone": "0%d %07d" % (rnd.randint(200, 299), n),
             "fax": rnd.choice(["", "0%d %07d" % (rnd.randint(200, 299), n + 1)]),
             "website": rnd.choice(["", "donvi%d.gov.vn" % n])}
        if full:
            return c
        keys = rnd.sample(sorted(c), rnd.randint(1, 5))
        return {k: c[k] for k in keys}

    def plan(self, rnd, t):
        """One change as (kind, method, path, body), chosen to be valid for
        tree t; None when no target fits."""
        kind = rnd.choices(["issue", "update", "rename", "move", "split", "merge", "merge_new", "dissolve",
                            "invalid"], weights=[24, 20, 12, 12, 8, 8, 6, 10, 4])[0]
        D = self.decision(rnd)
        below = t.below_roots()
        if kind == "issue":
            parents = [c for c in t.units if t.level(c) < 4 and len(t.kids[c]) < 60]
            p = rnd.choice(parents)
            body = {"parent": p, "name": self.name(rnd, t.level(p) + 1), "decision": D}
            if rnd.random() < 0.7:
                body.update(self.contact(rnd, full=rnd.random() < 0.5))
            return kind, "POST", "/v1/units", body
        if kind == "update":
            c = rnd.choice(list(t.units))
            body = self.contact(rnd)
            if rnd.random() < 0.5:
                body["version"] = t.units[c]["version"]
            return kind, "PATCH", f"/v1/units/{c}", body
        if kind == "rename":
            c = rnd.choice(below)
            return kind, "PATCH", f"/v1/units/{c}", {"name": self.name(rnd, t.level(c)), "decision": D}
        if kind == "move":
            rnd.shuffle(below)
            for a in below:
                sub = t.subtree(a)
                h = t.height(a)
                qs = [q for q in t.units if q not in sub and q != t.units[a]["parent"]
                      and t.level(q) + 1 + h <= 4 and q[-3:] == a[-3:]]
                if qs:
                    return kind, "POST", "/v1/reorganizations", {
                        "kind": "move", "decision": D, "from": [a], "into": {"parent": rnd.choice(qs)}}
            return None
        if kind == "split":
            rnd.shuffle(below)
            for a in below:
                p = t.units[a]["parent"]
                if t.level(p) + 1 + t.height(a) > 4:
                    continue
                into = [{"parent": p, "name": self.name(rnd, t.level(a))} for _ in range(rnd.randint(2, 3))]
                kids = {k: rnd.randrange(len(into)) for k in t.kids[a]}
                return kind, "POST", "/v1/reorganizations", {
                    "kind": "split", "decision": D, "from": [a], "into": into, "children": kids}
            return None
        if kind == "merge":
            rnd.shuffle(below)
            for a in below:
                sub = t.subtree(a)
                bs = [b for b in t.units if b not in sub and t.level(b) + t.height(a) <= 4 and t.level(b) >= 2
                      and b[-3:] == a[-3:]]
                if bs:
                    return kind, "POST", "/v1/reorganizations", {
                        "kind": "merge", "decision": D, "from": [a], "into": {"code": rnd.choice(bs)}}
            return None
        if kind == "merge_new":
            rnd.shuffle(below)
            for a in below:
                p = t.units[a]["parent"]
                others = [b for b in t.kids[p] if b != a]
                if not others:
                    continue
                b = rnd.choice(others)
                if t.level(p) + 1 + max(t.height(a), t.height(b)) > 4:
                    continue
                return "merge", "POST", "/v1/reorganizations", {
                    "kind": "merge", "decision": D, "from": [a, b],
                    "into": {"parent": p, "name": self.name(rnd, t.level(a))}}
            return None
        if kind == "invalid":
            # Changes the rules must refuse (422), to check a refusal in the
            # middle of the series writes nothing.
            parents = [c for c in below if t.kids[c]]
            a = rnd.choice(parents)
            return "invalid", "POST", "/v1/reorganizations", rnd.choice([
                {"kind": "dissolve", "decision": D, "from": [a]},
                {"kind": "move", "decision": D, "from": [a], "into": {"parent": rnd.choice(t.kids[a])}},
                {"kind": "merge", "decision": D, "from": [a], "into": {"code": "000.00.00.H47"}},
            ])
        leaves = [c for c in below if not t.kids[c]]
        if not leaves:
            return None
        return "dissolve", "POST", "/v1/reorganizations", {
            "kind": "dissolve", "decision": D, "from": [rnd.choice(leaves)]}

    def run_script(self):
        rnd = random.Random(SEED)
        done = collections.Counter()
        refused = collections.Counter()
        reasons = []
        touched = set()
        attempts = 0
        while sum(done.values()) + sum(refused.values()) < N_CHANGES:
            attempts += 1
            self.assertLess(attempts, N_CHANGES * 5, "the script cannot find targets")
            t = Tree(self.d)
            p = self.plan(rnd, t)
            if p is None:
                continue
            kind, method, path, body = p
            before = self.d.last_seq()
            r = self.d.request(method, path, body=body, token=self.admin)
            self.assertLess(r.status, 500, f"{kind} {path} {body}: {r!r}")
            if kind == "invalid":
                self.assertError(r, 422, "rule_refused", msg=f"{body}")
            if r.status in (200, 201):
                done[kind] += 1
                res = r.json()
                self.assertGreater(self.d.last_seq(), before, f"{kind} succeeded but wrote no feed item")
                if path.startswith("/v1/units"):
                    touched.add(res["code"])
                else:
                    self.assertFalse(res["dry_run"])
                    touched.update(res["created"], res["closed"], res["moved"].values())
                    into = body.get("into")
                    if isinstance(into, dict) and "code" in into:
                        touched.add(into["code"])
            else:
                self.assertIn(r.status, (400, 404, 409, 422), f"{kind} {path} {body}: {r!r}")
                self.assertEqual(self.d.last_seq(), before, f"refused {kind} wrote something: {r!r}")
                refused[kind] += 1
                reasons.append(f"{kind}: {r.status} {r.json()['error']['message']}")
        return done, refused, reasons, touched

    # ---- the mirror ----

    def mirror_from_feed(self):
        mirror = {}
        after, expect, page_no = 0, 1, 0
        sizes = [1000, 1, 37, 250, 999, 100]
        last_seq = None
        while True:
            limit = sizes[page_no % len(sizes)]
            page_no += 1
            self.assertLess(page_no, 10000)
            r = self.d.get(f"/v1/changes?after={after}&limit={limit}")
            self.assertStatus(r, 200)
            page = r.json()
            items = page["items"]
            self.assertLessEqual(len(items), limit)
            if last_seq is not None:
                self.assertGreaterEqual(page["last_seq"], last_seq, "last_seq never goes back")
            last_seq = page["last_seq"]
            for it in items:
                self.assertEqual(it["seq"], expect, f"feed gap or disorder after seq {expect - 1}")
                expect += 1
                u = it["unit"]
                self.assertEqual(u["code"], it["code"], it)
                mirror[u["code"]] = u
            if not items:
                self.assertEqual(after, last_seq, "an empty page comes only at the end of the feed")
                break
            after = items[-1]["seq"]
        self.assertEqual(expect - 1, last_seq, "the feed holds exactly 1..last_seq")
        return mirror, last_seq

    def test_mirror_equals_export(self):
        seq0 = self.d.last_seq()
        done, refused, reasons, touched = self.run_script()
        n_done = sum(done.values())
        print(f"\n  changes: {dict(done)}; refused: {dict(refused)}")
        for why in reasons[:10]:
            print("   refused", why)
        self.assertGreaterEqual(n_done, MIN_SUCCESSES, f"only {n_done} of {N_CHANGES} changes succeeded")
        for kind in ("issue", "update", "rename", "move", "split", "merge", "dissolve"):
            self.assertGreater(done[kind], 0, f"the script made no successful {kind}")

        mirror, last_seq = self.mirror_from_feed()
        self.assertGreater(last_seq, seq0 + n_done, "each change wrote at least one feed item")
        self.assertEqual(last_seq, self.d.last_seq(), "nothing changed while the mirror read the feed")

        export = self.reg.export()
        active = {c: u for c, u in mirror.items() if u["status"] == "active"}
        self.assertEqual(set(active), set(export),
                         f"mirror only: {sorted(set(active) - set(export))[:10]}; "
                         f"export only: {sorted(set(export) - set(active))[:10]}")
        diffs = []
        for code, row in export.items():
            u = active[code]
            mine = {k: (u[k] or "") for k in UNIT_KEYS}
            mine.update(decision_number=u["decision"]["number"], decision_date=u["decision"]["date"],
                        decision_issuer=u["decision"]["issuer"])
            theirs = {k: row[k] for k in mine}
            if mine != theirs:
                diffs.append(f"{code}: feed {mine} != export {theirs}")
        self.assertFalse(diffs, "\n".join(diffs[:10]))

        # The last snapshot of every unit the script touched is what the
        # unit route says now.
        for code in sorted(touched):
            r = self.d.get(f"/v1/units/{code}")
            self.assertStatus(r, 200, code)
            now = r.json()
            snap = mirror.get(code)
            self.assertIsNotNone(snap, f"{code} changed but never appeared in the feed")
            for k in UNIT_KEYS + ["status", "valid_to", "decision", "version", "level"]:
                self.assertEqual(snap.get(k), now.get(k), f"{code}.{k}: feed {snap.get(k)!r}, unit {now.get(k)!r}")


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
