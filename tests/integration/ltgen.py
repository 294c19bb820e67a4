"""Generates believable registry trees for tests and benchmarks: the real
level-1 table from data/level1.csv and, under it, departments, districts,
communes and schools with Vietnamese names."""
import csv
import io
import json
import os
import random

HEADER = ["code", "name", "parent", "address", "email", "phone", "fax", "website",
          "decision_number", "decision_date", "decision_issuer", "valid_from"]

KINDS2 = ["Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Y tế", "Sở Xây dựng", "Sở Công Thương",
          "Ủy ban nhân dân huyện", "Ủy ban nhân dân thị xã", "Ban Quản lý dự án", "Thanh tra tỉnh"]
KINDS3 = ["Ủy ban nhân dân xã", "Ủy ban nhân dân phường", "Phòng Giáo dục", "Trung tâm Y tế",
          "Chi cục Thuế", "Phòng Tài chính - Kế hoạch"]
PLACES = ["Hòa Bình", "Tân Lập", "Đồng Tâm", "Quảng Phú", "Nghĩa Hưng", "Thạch Đà", "Ẳng Nưa",
          "Điện Biên", "Đắk Mil", "Ea Súp", "Phước Sơn", "Trà My", "Cẩm Lệ", "Hải Châu", "Ngũ Hành Sơn",
          "Thanh Khê", "Liên Chiểu", "Bảo Lạc", "Hà Quảng", "Trùng Khánh", "Quảng Hòa", "Nguyên Bình"]


def level1_rows(source_dir):
    with open(os.path.join(source_dir, "data", "level1.csv"), encoding="utf-8") as f:
        return [{k: r.get(k, "") for k in HEADER} for r in csv.DictReader(f)]


def reforms(source_dir):
    """What the plans of data/reform-2025 do that a generated tree must keep
    clear of, since `lienthong init` applies them: the codes they close
    (nothing goes under them) and the level-2 codes their moves take."""
    d = os.path.join(source_dir, "data", "reform-2025")
    closed, taken = set(), set()
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name.endswith(".json"):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                for step in json.load(f)["steps"]:
                    closed.update(c for c in step.get("from", []) if isinstance(c, str))
                    into = step.get("into")
                    if step["kind"] == "move" and isinstance(into, dict) and into.get("number"):
                        parent = into.get("parent", "")
                        if isinstance(parent, str) and parent.startswith("000.00.00."):
                            taken.add("000.00.%02d.%s" % (into["number"], parent[-3:]))
    return closed, taken


def tree(source_dir, n, seed=1):
    """Level-1 rows plus n generated rows below those that stay active after
    the 2025 reforms, parents first."""
    rnd = random.Random(seed)
    closed, taken = reforms(source_dir)
    roots = [r for r in level1_rows(source_dir) if r["code"][-3] in "GH" and r["code"] not in closed]
    out = list(level1_rows(source_dir))
    made = 0

    def row(code, parent, name):
        d = "%04d-%02d-%02d" % (rnd.randint(2020, 2024), rnd.randint(1, 12), rnd.randint(1, 28))
        return {"code": code, "name": name, "parent": parent,
                "address": "%d đường %s, %s" % (rnd.randint(1, 300), rnd.choice(PLACES), rnd.choice(PLACES)),
                "email": "vanthu%d@example.gov.vn" % made, "phone": "0%d %07d" % (rnd.randint(200, 299), made),
                "fax": "", "website": "", "decision_number": "%d/QĐ-UBND" % rnd.randint(1, 9999),
                "decision_date": d, "decision_issuer": "Ủy ban nhân dân", "valid_from": d}

    for root in roots:
        l1 = root["code"][-3:]
        for a in range(1, 100):
            if made >= n:
                return out
            c2 = "000.00.%02d.%s" % (a, l1)
            if c2 in taken:
                continue
            out.append(row(c2, root["code"], "%s %s" % (rnd.choice(KINDS2), rnd.choice(PLACES))))
            made += 1
            for b in range(1, 100):
                if made >= n or rnd.random() < 0.08 and b > 5:
                    break
                c3 = "000.%02d.%02d.%s" % (b, a, l1)
                out.append(row(c3, c2, "%s %s" % (rnd.choice(KINDS3), rnd.choice(PLACES))))
                made += 1
                if b == 1 and made < n:
                    out.append(row("001.%02d.%02d.%s" % (b, a, l1), c3, "Trường tiểu học %s" % rnd.choice(PLACES)))
                    made += 1
    return out


def write_csv(rows, path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_units_csv(source_dir, path, n):
    """n units below level 1, streamed to path: tree()'s units (which stop
    near 114,000), then schools (level 4) under its level-3 units, numbers
    2 to 999, until there are n. Returns the number written."""
    n1 = len(level1_rows(source_dir))
    rows = tree(source_dir, n)[n1:]
    rnd = random.Random(2)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        made = len(rows)
        taken = {r["code"] for r in rows}
        level3 = [r["code"] for r in rows if r["code"].startswith("000.") and not r["code"].startswith("000.00.")]
        del rows
        for num in range(2, 1000):
            for c3 in level3:
                if made >= n:
                    return made
                code = "%03d%s" % (num, c3[3:])
                if code in taken:
                    continue
                d = "%04d-%02d-%02d" % (rnd.randint(2020, 2024), rnd.randint(1, 12), rnd.randint(1, 28))
                kind = rnd.choice(("Trường mầm non", "Trường tiểu học", "Trường trung học cơ sở"))
                w.writerow({"code": code, "name": "%s %s" % (kind, rnd.choice(PLACES)), "parent": c3,
                            "address": "%d đường %s, %s" % (rnd.randint(1, 300), rnd.choice(PLACES),
                                                             rnd.choice(PLACES)),
                            "email": "truong%d@example.edu.vn" % made,
                            "phone": "0%d %07d" % (rnd.randint(200, 299), made % 10000000), "fax": "",
                            "website": "", "decision_number": "%d/QĐ-UBND" % rnd.randint(1, 9999),
                            "decision_date": d, "decision_issuer": "Ủy ban nhân dân", "valid_from": d})
                made += 1
    return made
