"""Transition benchmark (figure transition_reform): a registry shaped like
the real one before 2025 (63 provinces, each with its departments, its
districts and their communes, and schools and health stations under the
communes; 100,000 units below level 1 by default) takes the 2025
local-government reform as plans (`lienthong plan apply`, one process per
plan, as an operator would):

- the 23 province merger plans of data/reform-2025, each made whole the way
  the reform happened: every department of an absorbed province merged into
  its counterpart, then the People's Committees, Councils and Party
  Committees, the districts moving with new codes;
- then, per surviving province, one plan merging its communes to about a
  third (three into one, the stations and schools moving with them).

Measured: each plan's apply time and the total, against `lienthong import`
of the same units into an empty level-1 registry (goal: the whole reform in
at most 3 times the import), and how fast an old code then resolves to the
unit carrying its work (the routing of old codes, sampled).

Every district dissolved with its communes moved under the province, as
the real reform did, cannot be written in today's code grammar: a province's
level 2 holds 99 numbers, and it would need about 300 communes and its
departments there. The benchmark stops at the commune mergers."""
import json
import os
import random
import shutil
import subprocess
import time

from benchlib import CLI, BenchError, build_helpers, log, lt_env, timed
from report import result

HEADER = ["code", "name", "parent", "decision_number", "decision_date", "decision_issuer", "valid_from"]
DEPTS = ["Văn phòng Ủy ban nhân dân", "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Y tế", "Sở Xây dựng",
         "Sở Công Thương", "Sở Giáo dục và Đào tạo", "Sở Giao thông vận tải", "Sở Kế hoạch và Đầu tư",
         "Sở Lao động - Thương binh và Xã hội", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Ngoại vụ",
         "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông", "Sở Văn hóa, Thể thao và Du lịch",
         "Sở Khoa học và Công nghệ", "Thanh tra tỉnh", "Ban Dân tộc", "Ban Quản lý các khu công nghiệp"]
DISTRICTS = 11
COMMUNES = 14
DECISION = {"number": "202/2025/QH15", "date": "2025-06-12", "issuer": "Quốc hội", "kind": "Nghị quyết"}


def provinces(level1):
    return [r for r in level1 if r["code"][-3] == "H"]


def generate(level1, units):
    """Rows below the 63 provinces, parents first: departments (01-20),
    districts (21-31) with their communes, and units under the communes
    until there are `units` rows."""
    provs = provinces(level1)
    per_commune = max(1, (units - len(provs) * (len(DEPTS) + DISTRICTS * (1 + COMMUNES)))
                      // (len(provs) * DISTRICTS * COMMUNES) + 1)
    rows, d = [], "2021-01-05"
    for p in provs:
        h, name = p["code"][-3:], p["name"].replace("Ủy ban nhân dân ", "")
        for i, dept in enumerate(DEPTS, 1):
            rows.append(["000.00.%02d.%s" % (i, h), "%s %s" % (dept, name), p["code"], "1/QĐ-UBND", d, "UBND", d])
        for k in range(DISTRICTS):
            dist = "000.00.%02d.%s" % (21 + k, h)
            rows.append([dist, "Ủy ban nhân dân huyện %d của %s" % (k + 1, name), p["code"], "1/QĐ-UBND", d,
                         "UBND", d])
            for c in range(1, COMMUNES + 1):
                com = "000.%02d.%02d.%s" % (c, 21 + k, h)
                rows.append([com, "Ủy ban nhân dân xã %d huyện %d %s" % (c, k + 1, name), dist, "1/QĐ-UBND", d,
                             "UBND", d])
                for s in range(1, per_commune + 1):
                    rows.append(["%03d.%02d.%02d.%s" % (s, c, 21 + k, h),
                                 "%s xã %d huyện %d %s" % ("Trạm Y tế" if s == 1 else "Trường %d" % s, c, k + 1,
                                                           name),
                                 com, "1/QĐ-UBND", d, "UBND", d])
    # Trim to exactly `units`, dropping from the deepest level's end.
    extra = len(rows) - units
    if extra > 0:
        deep = [i for i, r in enumerate(rows) if not r[0].startswith("000.")]
        drop = set(deep[-extra:])
        rows = [r for i, r in enumerate(rows) if i not in drop]
    return rows


def write_csv(rows, path):
    import csv
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)


def province_plans(root):
    """The 23 province merger plans of data/reform-2025, each with the
    absorbed provinces' departments merged into their counterparts first."""
    d = os.path.join(root, "data", "reform-2025")
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json") or not name.startswith("2025-07-01-"):
            continue
        with open(os.path.join(d, name), encoding="utf-8") as f:
            plan = json.load(f)
        steps = []
        for step in plan["steps"]:
            into = step["into"].get("code", "")
            if step["kind"] == "merge" and into.startswith("000.00.00.H"):
                for old in step["from"]:
                    for i in range(1, len(DEPTS) + 1):
                        steps.append({"kind": "merge", "from": ["000.00.%02d.%s" % (i, old[-3:])],
                                      "into": {"code": "000.00.%02d.%s" % (i, into[-3:])}})
            steps.append({k: v for k, v in step.items() if k in ("kind", "from", "into", "across_groups")})
        out.append((name, dict(plan, steps=steps)))
    return out


def commune_plans(db_env):
    """Per surviving province, communes merged three into one, district by
    district, as they stand after the province mergers."""
    plans = []
    p = subprocess.run([CLI, "--json", "unit", "search", "--level", "1", "--status", "active", "--limit", "500"],
                       env=db_env, capture_output=True, text=True)
    if p.returncode:
        raise BenchError("listing provinces: " + p.stderr)
    for prov in json.loads(p.stdout)["items"]:
        if prov["code"][-3] != "H":
            continue
        steps = []
        kids = json.loads(subprocess.run([CLI, "--json", "unit", "children", prov["code"]], env=db_env,
                                         capture_output=True, text=True).stdout)["items"]
        for dist in kids:
            if "huyện" not in dist["name"]:
                continue
            coms = [c["code"] for c in json.loads(subprocess.run(
                [CLI, "--json", "unit", "children", dist["code"]], env=db_env, capture_output=True,
                text=True).stdout)["items"]]
            for i in range(0, len(coms) - 2, 3):
                steps.append({"kind": "merge", "from": coms[i + 1:i + 3], "into": {"code": coms[i]}})
        if steps:
            plans.append(("communes-" + prov["code"][-3:], {
                "decision": {"number": "1/NQ-UBTVQH15 (%s)" % prov["code"][-3:], "date": "2025-06-16",
                             "issuer": "Ủy ban Thường vụ Quốc hội", "kind": "Nghị quyết"},
                "effective": "2025-07-01", "title": "Sắp xếp đơn vị hành chính cấp xã", "steps": steps}))
    return plans


def run(ctx):
    exe = build_helpers(ctx.tmp)
    del exe
    d = os.path.join(ctx.tmp, "transition")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "data-src"))
    shutil.copy(os.path.join(ROOT_DATA, "level1.csv"), os.path.join(d, "data-src"))
    import csv
    with open(os.path.join(ROOT_DATA, "level1.csv"), encoding="utf-8") as f:
        level1 = list(csv.DictReader(f))
    rows = generate(level1, ctx.units)
    csv_path = os.path.join(d, "units.csv")
    write_csv(rows, csv_path)
    log("transition: %d units below the 63 provinces" % len(rows))

    def fresh(name):
        db = os.path.join(d, name + ".db")
        env = lt_env(d, db, LIENTHONG_DATA=os.path.join(d, "data-src"))
        p = subprocess.run([CLI, "init"], env=env, capture_output=True, text=True)
        if p.returncode:
            raise BenchError("init: " + p.stderr)
        return env

    # The reference: importing the same units.
    env_ref = fresh("reference")
    t_import = timed([CLI, "import", csv_path], env=env_ref)
    if t_import["rc"]:
        raise BenchError("lienthong import exited %d" % t_import["rc"])
    log("transition: import of %d units %.1f s" % (len(rows), t_import["wall"]))

    env = fresh("reform")
    t = timed([CLI, "import", csv_path], env=env)
    if t["rc"]:
        raise BenchError("lienthong import exited %d" % t["rc"])
    per_plan, closed = [], []
    plans_dir = os.path.join(d, "plans")
    os.makedirs(plans_dir)

    def apply(name, plan):
        path = os.path.join(plans_dir, name if name.endswith(".json") else name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(plan, f, ensure_ascii=False)
        out = os.path.join(plans_dir, "out.json")
        with open(out, "w") as of, open(os.path.join(plans_dir, "err.txt"), "w") as ef:
            r = timed([CLI, "--json", "plan", "apply", path], env=env, stdout=of, stderr=ef)
        if r["rc"]:
            with open(os.path.join(plans_dir, "err.txt")) as f:
                raise BenchError("plan %s refused: %s" % (name, f.read()[-1500:]))
        with open(out) as f:
            res = json.load(f)
        closed.extend(c["code"] for c in res["closed"])
        per_plan.append({"plan": name, "steps": len(plan["steps"]), "closed": len(res["closed"]),
                         "moved": len(res["moved"]), "seconds": round(r["wall"], 3),
                         "peak_rss_mb": round(r["maxrss_kb"] / 1024.0, 1)})
        log("transition: %-40s %4d steps %6d closed %6d moved %6.2f s" % (
            name, len(plan["steps"]), len(res["closed"]), len(res["moved"]), r["wall"]))

    for name, plan in province_plans(os.path.dirname(ROOT_DATA)):
        apply(name, plan)
    provinces_s = sum(p["seconds"] for p in per_plan)
    for name, plan in commune_plans(env):
        apply(name, plan)
    total = sum(p["seconds"] for p in per_plan)

    # Routing of old codes: each sampled closed code resolves to the unit
    # that carries its work now.
    rnd = random.Random(1)
    sample = rnd.sample(closed, min(200, len(closed)))
    t0 = time.monotonic()
    for code in sample:
        p = subprocess.run([CLI, "--json", "unit", "resolve", code], env=env, capture_output=True, text=True)
        if p.returncode or not json.loads(p.stdout)["current"]:
            raise BenchError("%s does not resolve after the reform: %s" % (code, p.stderr or p.stdout))
    resolve_ms = 1000.0 * (time.monotonic() - t0) / max(1, len(sample))

    results = [
        result("transition_reform", total, "s", "lienthong import of the same units", t_import["wall"],
               "the whole 2025 local reform (%d plans) in at most 3 times the import of the same units"
               % len(per_plan), lambda v, ratio: ratio is not None and ratio <= 3.0,
               note="%d province merger plans %.1f s, %d commune plans %.1f s; %d units closed"
               % (23, provinces_s, len(per_plan) - 23, total - provinces_s, len(closed)),
               reference_unit="s"),
        result("transition_old_code_resolve", resolve_ms, "ms", "one `lienthong unit resolve` process", None,
               None, lambda v, ratio: True,
               note="%d sampled closed codes, each resolved to an active unit (a CLI process per code)"
               % len(sample)),
    ]
    details = {"units": len(rows), "import_s": round(t_import["wall"], 2), "plans": per_plan,
               "closed": len(closed), "resolve_sample": len(sample)}
    return results, details


ROOT_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
