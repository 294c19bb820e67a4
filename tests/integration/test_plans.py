#!/usr/bin/env python3
"""Integration test: plans, one decision with many steps (docs/transition.md),
against the real daemon and CLI.

A scratch registry holds the level-1 table and the demo tree as of 2020 (no
plan applied). The merger of Quảng Nam into Đà Nẵng with its departments
merged is posted as one plan: a refusal in its last step leaves the export
and the change feed exactly as they were, with the refusal listed under its
step; the dry run answers exactly what the apply then does; GET /v1/plans
lists the plan with its decision's kind (Nghị quyết), GET /v1/plans/{id}
what it changed; the feed carries every change. Who may apply: a manager
outside the plan's units, a requester, a reader and an anonymous caller are
refused. Then `lienthong init` applies data/reform-2025/ plans in file-name
order (with test plans here, until the shipped ones exist), and as-of reads
show the 2020 state.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set; by
hand it falls back to <repo>/build. Standard library only. Exits non-zero
when a test fails and ends with a line "N passed, M failed".
"""

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
from ltd import CB, DN, QN  # noqa: E402

QN_NOI_VU, DN_NOI_VU = "000.00.02.H47", "000.00.02.H17"
QN_Y_TE, DN_Y_TE = "000.00.04.H47", "000.00.04.H17"
QN_K, DN_K = "000.00.00.K47", "000.00.00.K17"
QN_TAM_KY = "000.00.21.H47"


def doc_example():
    """The plan of docs/transition.md's example: the test runs what the doc shows."""
    with open(os.path.join(ltd.SOURCE_DIR, "docs", "transition.md"), encoding="utf-8") as f:
        text = f.read()
    part = text[text.index("## Example"):]
    m = re.search(r"```json\n(.*?)```", part, re.S)
    return json.loads(m.group(1))


def data_dir(base, demo_plans=False, reform=None):
    """A data directory: level1.csv and demo.csv, and the plans given."""
    d = os.path.join(base, "data-src")
    os.makedirs(d, exist_ok=True)
    for name in ("level1.csv", "demo.csv"):
        shutil.copy(os.path.join(ltd.DATA_DIR, name), d)
    if demo_plans:
        shutil.copytree(os.path.join(ltd.DATA_DIR, "demo"), os.path.join(d, "demo"))
    if reform is not None:
        os.makedirs(os.path.join(d, "reform-2025"))
        for name, plan in reform.items():
            with open(os.path.join(d, "reform-2025", name), "w", encoding="utf-8") as f:
                json.dump(plan, f, ensure_ascii=False)
    return d


def plain_registry(prefix, demo_plans=False, reform=None, demo=True):
    reg = ltd.Registry(prefix=prefix, demo=None)
    reg.env["LIENTHONG_DATA"] = data_dir(reg.dir, demo_plans, reform)
    reg.check(*(["init", "--demo"] if demo else ["init"]))
    return reg


class Plans(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = plain_registry("lt_test_plans_")
        cls.admin = cls.reg.token("admin")
        cls.mgr_cb = cls.reg.token("manager", CB)
        cls.mgr_qn = cls.reg.token("manager", QN)
        cls.requester = cls.reg.token("requester", QN)
        cls.reader = cls.reg.token("reader")
        cls.d = ltd.Daemon(cls.reg)
        cls.d.start()

    def last_seq(self):
        return self.d.get("/v1/changes?after=0&limit=1").json()["last_seq"]

    def state(self):
        return self.reg.export_text(), self.reg.export_text("--as-of", "2099-01-01"), self.last_seq()

    def test_1_refusal_in_last_step_changes_nothing(self):
        plan = doc_example()
        plan["steps"].append({"kind": "dissolve", "from": [DN]})  # Đà Nẵng still has children
        before = self.state()
        r = self.d.post("/v1/plans", plan, token=self.admin)
        e = self.assertError(r, 422, "rule_refused", "nothing was written")
        last = len(plan["steps"]) - 1
        self.assertEqual([x["step"] for x in e["refusals"]], [last], e)
        self.assertIn("active child", e["refusals"][0]["reason"])
        self.assertEqual(before, self.state(), "export and feed byte-identical after the refusal")
        self.assertEqual(self.d.get("/v1/plans").json()["items"], [])
        # Faults found before the registry is read are listed too, each with its step.
        bad = copy.deepcopy(plan)
        bad["steps"][0]["decision"] = {"number": "x"}
        bad["steps"][1]["from"] = ["000.00.04"]
        bad["steps"].append({"kind": "rename", "code": {"step": 99}, "name": "x"})
        e = self.assertError(self.d.post("/v1/plans", bad, token=self.admin), 400, "bad_request")
        self.assertEqual([x["step"] for x in e["refusals"]], [0, 1, 4, last, last + 1], e)
        self.assertIn("step 1 was refused", e["refusals"][2]["reason"], "the rename names step 1's unit")
        self.assertEqual(e["refusals"][0]["field"], "decision")
        self.assertEqual(e["refusals"][1]["field"], "from[0]")
        self.assertEqual(before, self.state())
        # Not a plan at all.
        e = self.assertError(self.d.post("/v1/plans", {"steps": "x"}, token=self.admin), 400)
        self.assertTrue(all(x["step"] is None for x in e["refusals"]), e)
        self.assertError(self.d.post("/v1/plans?dry_run=maybe", plan, token=self.admin), 400)

    def test_2_outsiders_are_refused(self):
        plan = doc_example()
        before = self.state()
        # A manager of Cao Bằng touches nothing of it; one of Quảng Nam not Đà Nẵng.
        for token in (self.mgr_cb, self.mgr_qn):
            e = self.assertError(self.d.post("/v1/plans", plan, token=token), 403, "forbidden")
            self.assertTrue(e["refusals"], e)
        e = self.assertError(self.d.post("/v1/plans?dry_run=true", plan, token=self.requester), 403)
        self.assertIn("request of kind plan", e["message"])
        self.assertError(self.d.post("/v1/plans", plan, token=self.reader), 403)
        self.assertError(self.d.post("/v1/plans", plan), 401)
        self.assertError(self.d.post("/v1/plans", plan, token="nonsense-token"), 401)
        self.assertEqual(before, self.state())

    def test_3_dry_run_equals_apply(self):
        plan = doc_example()
        before = self.state()
        r = self.d.post("/v1/plans?dry_run=true", plan, token=self.admin)
        self.assertStatus(r, 200)
        dry = r.json()
        self.assertIsNone(dry["id"])
        self.assertTrue(dry["dry_run"])
        self.assertEqual(before, self.state(), "a dry run writes nothing")
        # The CLI's dry run of the same file says the same.
        path = os.path.join(self.reg.dir, "plan.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(plan, f, ensure_ascii=False)
        cli = json.loads(self.reg.check("plan", "apply", path, "--dry-run", "--json"))
        self.assertEqual(cli, dry)
        seq = self.last_seq()
        r = self.d.post("/v1/plans", plan, token=self.admin)
        self.assertStatus(r, 201)
        done = r.json()
        self.assertEqual(r.header("Location"), f"/v1/plans/{done['id']}")
        for k in ("id", "dry_run"):
            dry.pop(k)
            done.pop(k)
        self.assertEqual(dry, done, "the dry run is exactly what the apply did")
        # What it says happened did.
        closed = {u["code"]: u["name"] for u in done["closed"]}
        self.assertEqual(closed[QN_NOI_VU], "Sở Nội vụ tỉnh Quảng Nam")
        for old, new in ((QN_NOI_VU, DN_NOI_VU), (QN_Y_TE, DN_Y_TE), (QN, DN), (QN_K, DN_K)):
            self.assertEqual(self.d.get(f"/v1/units/{old}/resolve").json()["current"], [new], old)
        moved = {m["from"]: m for m in done["moved"]}
        tam_ky = moved[QN_TAM_KY]
        self.assertEqual(tam_ky["name"], "Ủy ban nhân dân thành phố Tam Kỳ")
        self.assertEqual(self.d.get(f"/v1/units/{tam_ky['to']}").json()["parent"], DN)
        self.assertEqual(done["renamed"][0]["code"], DN_Y_TE)
        self.assertEqual(self.d.get(f"/v1/units/{DN_Y_TE}").json()["name"], "Sở Y tế thành phố Đà Nẵng (sau sắp xếp)")
        # The feed carries every change, gap-free, after what it had.
        feed = self.d.get(f"/v1/changes?after={seq}&limit=1000").json()
        seqs = [i["seq"] for i in feed["items"]]
        self.assertEqual(seqs, list(range(seq + 1, seq + 1 + len(seqs))))
        fed = {i["code"] for i in feed["items"]}
        self.assertTrue(set(closed) <= fed and {m["to"] for m in done["moved"]} <= fed)
        self.assertIn(DN_Y_TE, fed, "the rename")
        # The same plan again is refused: its units are closed.
        e = self.assertError(self.d.post("/v1/plans", plan, token=self.admin), 422)
        self.assertIn("successor", e["refusals"][0]["reason"])

    def test_4_plans_listed_with_their_decision(self):
        items = self.d.get("/v1/plans").json()["items"]
        self.assertEqual(len(items), 1)
        p = items[0]
        self.assertEqual(p["decision"], {"number": "202/2025/QH15", "date": "2025-06-12", "issuer": "Quốc hội",
                                         "kind": "Nghị quyết"})
        self.assertEqual(p["effective"], "2025-07-01")
        self.assertEqual(p["steps"], 5)
        self.assertGreaterEqual(p["closed"], 4)
        self.assertEqual(p["renamed"], 1)
        self.assertTrue(p["actor"].startswith("http:admin:"))
        one = self.d.get(f"/v1/plans/{p['id']}").json()
        self.assertEqual(one["plan"], doc_example())
        self.assertEqual(len(one["result"]["steps"]), 5)
        self.assertError(self.d.get("/v1/plans/999"), 404)
        self.assertError(self.d.get("/v1/plans/abc"), 400)
        out = self.reg.check("plan", "list")
        self.assertIn("Nghị quyết 202/2025/QH15", out)
        out = self.reg.check("plan", "show", str(p["id"]))
        self.assertIn("closed   000.00.02.H47  Sở Nội vụ tỉnh Quảng Nam", out)
        self.assertIn("renamed  000.00.04.H17  Sở Y tế thành phố Đà Nẵng → Sở Y tế thành phố Đà Nẵng (sau sắp xếp)",
                      out)

    def test_5_manager_inside_its_scope(self):
        plan = {"decision": {"number": "77/NQ-HĐND", "date": "2025-08-01", "issuer": "HĐND tỉnh Cao Bằng",
                             "kind": "Nghị quyết"},
                "effective": "2025-08-15", "title": "Sáp nhập phường",
                "steps": [{"kind": "merge", "from": ["000.02.31.H14", "000.03.31.H14"],
                           "into": {"parent": "000.00.31.H14", "name": "Ủy ban nhân dân phường Tân Giang mới"}},
                          {"kind": "rename", "code": {"step": 0}, "name": "Ủy ban nhân dân phường Thục Phán"}]}
        r = self.d.post("/v1/plans", plan, token=self.mgr_cb)
        self.assertStatus(r, 201)
        made = r.json()["steps"][0]["unit"]
        self.assertEqual(self.d.get(f"/v1/units/{made}").json()["name"], "Ủy ban nhân dân phường Thục Phán")
        self.assertEqual(self.d.get("/v1/plans").json()["items"][-1]["decision"]["kind"], "Nghị quyết")

    def test_6_request_of_kind_plan(self):
        requester = self.reg.token("requester", "000.00.31.H14")
        plan = {"effective": "2025-09-01", "title": "Sáp nhập phường Hợp Giang và xã Hưng Đạo",
                "steps": [{"kind": "merge", "from": ["000.01.31.H14", "000.04.31.H14"],
                           "into": {"parent": "000.00.31.H14", "name": "Phường Hợp Giang"}}]}
        # Outside the requester's subtree: refused at filing.
        far = {"effective": "2025-09-01", "steps": [{"kind": "dissolve", "from": ["000.01.32.H14"]}]}
        self.assertError(self.d.post("/v1/requests", {"kind": "plan", "unit": "000.00.31.H14", "proposal": far},
                                     token=requester), 403)
        r = self.d.post("/v1/requests", {"kind": "plan", "unit": "000.00.31.H14", "proposal": plan,
                                         "reason": "Nghị quyết của HĐND tỉnh"}, token=requester)
        self.assertStatus(r, 201)
        rid = r.json()["id"]
        self.assertEqual(self.d.get("/v1/units/000.01.31.H14").json()["status"], "active")
        dec = {"number": "88/NQ-HĐND", "date": "2025-08-20", "issuer": "HĐND tỉnh Cao Bằng", "kind": "Nghị quyết"}
        r = self.d.post(f"/v1/requests/{rid}/approve", {"decision": dec}, token=self.mgr_cb)
        self.assertStatus(r, 200)
        res = r.json()["result"]
        self.assertEqual(res["kind"], "plan")
        one = self.d.get(f"/v1/plans/{res['plan']}").json()
        self.assertEqual(one["decision"]["kind"], "Nghị quyết")
        self.assertEqual(one["decision"]["number"], "88/NQ-HĐND")
        self.assertEqual(self.d.get("/v1/units/000.01.31.H14").json()["status"], "closed")


class Init(ltd.DaemonTest):
    """init applies the reform plans in file-name order; as-of reads show 2020."""

    GOV = {"decision": {"number": "176/2025/QH15", "date": "2025-02-18", "issuer": "Quốc hội", "kind": "Nghị quyết"},
           "effective": "2025-03-01", "title": "Cơ cấu tổ chức Chính phủ",
           "steps": [{"kind": "merge", "from": ["000.00.00.G05"], "into": {"code": "000.00.00.G12"}},
                     {"kind": "rename", "code": "000.00.00.G21", "name": "Bộ Dân tộc và Tôn giáo"}]}
    # Refers to what the first file did: G12 must still be active, as it is.
    PROVINCES = {"decision": {"number": "202/2025/QH15", "date": "2025-06-12", "issuer": "Quốc hội",
                              "kind": "Nghị quyết"},
                 "effective": "2025-07-01",
                 "steps": [{"kind": "merge", "from": [QN], "into": {"code": DN}},
                           {"kind": "merge", "from": [QN_K], "into": {"code": DN_K}}]}

    def test_init_applies_reform_plans_in_order(self):
        reg = plain_registry("lt_test_plans_init_", reform={"02-provinces.json": self.PROVINCES,
                                                            "01-government.json": self.GOV}, demo=False)
        try:
            plans = json.loads(reg.check("plan", "list", "--json"))
            self.assertEqual([p["decision"]["number"] for p in plans], ["176/2025/QH15", "202/2025/QH15"])
            res = json.loads(reg.check("unit", "resolve", "000.00.00.G05", "--json"))
            self.assertEqual(res["current"], ["000.00.00.G12"])
            for old, new in ((QN, DN), (QN_K, DN_K)):
                self.assertEqual(json.loads(reg.check("unit", "resolve", old, "--json"))["current"], [new])
            now = reg.export()
            then = reg.export("--as-of", "2025-01-01")
            self.assertNotIn(QN, now)
            self.assertIn(QN, then)
            self.assertIn("000.00.00.G05", then)
            self.assertEqual(then["000.00.00.G21"]["name"], "Ủy ban Dân tộc")
            self.assertEqual(now["000.00.00.G21"]["name"], "Bộ Dân tộc và Tôn giáo")
        finally:
            reg.close()

    def test_init_demo_plan_takes_the_place_of_the_reform_plan(self):
        reg = plain_registry("lt_test_plans_demo_", demo_plans=True,
                             reform={"01-government.json": self.GOV, "02-provinces.json": self.PROVINCES})
        try:
            plans = json.loads(reg.check("plan", "list", "--json"))
            self.assertEqual(len(plans), 2)
            self.assertEqual(plans[1]["decision"]["number"], "202/2025/QH15")
            self.assertGreater(plans[1]["steps"], 2, "the demo's plan, departments merged")
            res = json.loads(reg.check("unit", "resolve", QN_NOI_VU, "--json"))
            self.assertEqual(res["current"], [DN_NOI_VU])
        finally:
            reg.close()

    def test_a_refused_reform_plan_fails_init(self):
        bad = copy.deepcopy(self.PROVINCES)
        bad["steps"].append({"kind": "merge", "from": [QN_K], "into": {"code": QN}})
        reg = ltd.Registry(prefix="lt_test_plans_bad_", demo=None)
        try:
            reg.env["LIENTHONG_DATA"] = data_dir(reg.dir, reform={"01.json": bad})
            p = reg.run("init")
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("01.json: step 2", p.stderr)
            if "://" not in reg.db:
                self.assertFalse(os.path.exists(reg.db), "a failed init leaves no database")
        finally:
            reg.close()


class Shipped(ltd.DaemonTest):
    """`lienthong init` with the shipped data: level1.csv as of 2020, then
    every data/reform-2025 plan."""

    # The ministries merged in 2025 and the one that carries each one's work.
    MINISTRIES = {"000.00.00.G05": "000.00.00.G12", "000.00.00.G04": "000.00.00.G17",
                  "000.00.00.G13": "000.00.00.G10", "000.00.00.G07": "000.00.00.G09"}

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_plans_shipped_", demo=False)

    def test_codes_resolve_to_the_unit_that_carries_the_work(self):
        plans = sorted(os.listdir(os.path.join(ltd.DATA_DIR, "reform-2025")))
        plans = [n for n in plans if n.endswith(".json")]
        listed = json.loads(self.reg.check("plan", "list", "--json"))
        self.assertEqual(len(listed), len(plans), "every shipped plan applied")
        # Each kept as the kind of act it is.
        kinds = {p["decision"]["number"]: p["decision"]["kind"] for p in listed}
        self.assertEqual(kinds["202/2025/QH15"], "Nghị quyết")
        for old, new in self.MINISTRIES.items():
            got = json.loads(self.reg.check("unit", "resolve", old, "--json"))
            self.assertEqual((got["status"], got["current"]), ("closed", [new]), old)
        # Every code a shipped plan's merge closes resolves to what its
        # target resolves to now.
        for name in plans:
            with open(os.path.join(ltd.DATA_DIR, "reform-2025", name), encoding="utf-8") as f:
                plan = json.load(f)
            for i, step in enumerate(plan["steps"]):
                if step["kind"] != "merge" or not isinstance(step["into"].get("code"), str):
                    continue
                target = json.loads(self.reg.check("unit", "resolve", step["into"]["code"], "--json"))["current"]
                for old in step["from"]:
                    with self.subTest(plan=name, step=i, code=old):
                        got = json.loads(self.reg.check("unit", "resolve", old, "--json"))
                        self.assertEqual((got["status"], got["current"]), ("closed", target))

    def test_as_of_before_the_reforms_is_the_2020_table(self):
        with open(os.path.join(ltd.DATA_DIR, "level1.csv"), encoding="utf-8") as f:
            # Those valid then: the table also holds units the 2025 decision added.
            table = {row["code"]: row["name"] for row in csv.DictReader(f) if row["valid_from"] <= "2024-12-31"}
        then = self.reg.export("--as-of", "2024-12-31")
        self.assertEqual({c: r["name"] for c, r in then.items()}, table)
        # 2025-01-01: the same codes, all still active (Huế's renames take effect that day).
        self.assertEqual(set(self.reg.export("--as-of", "2025-01-01")), set(table))
        now = self.reg.export()
        self.assertLess(len(now), len(table))
        self.assertNotIn("000.00.00.H47", now)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
