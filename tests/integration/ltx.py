"""Small helpers shared by the exchange hub's integration tests
(test_exchange_*.py): sending a package, paging through an inbox, reading
a Prometheus value from /metrics, listing the stored package files.
Built on ltd.py (daemon, registry, HTTP client). Standard library only."""

import hashlib
import os
import re
import urllib.parse

import ltd

G22 = "000.00.00.G22"  # Văn phòng Chính phủ
H47 = "000.00.00.H47"  # Quảng Nam: merged into Đà Nẵng on 2025-07-01 (closed)
H17 = "000.00.00.H17"  # Đà Nẵng
H26 = "000.00.00.H26"  # Hà Nội
H14 = "000.00.00.H14"  # Cao Bằng
H29 = "000.00.00.H29"  # Thành phố Hồ Chí Minh
UNKNOWN = "000.00.99.H14"  # well formed, not in the registry

XML = {"Content-Type": "application/xml"}
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def send(d, token, data, timeout=60):
    """POST /v1/documents with the package bytes."""
    return d.request("POST", "/v1/documents", body=data, token=token, headers=XML, timeout=timeout)


def inbox_all(d, token, kind=None, limit=100):
    """Every item of a system's inbox, following next_cursor."""
    items, cursor, seen = [], None, set()
    while True:
        q = {"limit": str(limit)}
        if kind:
            q["kind"] = kind
        if cursor is not None:
            q["cursor"] = str(cursor)
        r = d.get("/v1/inbox?" + urllib.parse.urlencode(q), token=token, timeout=30)
        if r.status != 200:
            raise AssertionError(f"GET /v1/inbox {q}: {r!r}")
        page = r.json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if cursor is None or not page["items"]:
            return items
        if cursor in seen:
            raise AssertionError(f"inbox paging loops at cursor {cursor!r}")
        seen.add(cursor)


def metric(d, name, labels=None):
    """The value of one sample of /metrics (None when absent)."""
    r = d.get("/metrics")
    if r.status != 200:
        raise AssertionError(f"/metrics: {r!r}")
    want = name
    if labels:
        want += "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for line in r.text().splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == want:
            return float(value)
    return None


def exchange_counts(d):
    """(edoc, status) of lienthong_exchange_documents."""
    return (metric(d, "lienthong_exchange_documents", {"kind": "edoc"}),
            metric(d, "lienthong_exchange_documents", {"kind": "status"}))


def package_files(data_dir):
    """Every file under <data_dir>/packages (relative names)."""
    root = os.path.join(data_dir, "packages")
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


def spool_files(data_dir):
    root = os.path.join(data_dir, "tmp")
    try:
        return sorted(os.listdir(root))
    except FileNotFoundError:
        return []


def asan():
    return os.path.basename(ltd.BUILD_DIR.rstrip("/")).endswith("build-asan")
