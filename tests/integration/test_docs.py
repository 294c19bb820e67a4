"""Docs stay true to the code: docs/config.md is what `lienthongd --config-md`
prints from the table the daemon reads, and the README's commands exist."""
import os
import subprocess
import sys

BUILD = os.environ.get("LT_BUILD_DIR", "build")
SRC = os.environ.get("LT_SOURCE_DIR", ".")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


out = subprocess.run([os.path.join(BUILD, "lienthongd"), "--config-md"], capture_output=True, text=True)
with open(os.path.join(SRC, "docs", "config.md"), encoding="utf-8") as f:
    doc = f.read()
check("config.md generated", out.returncode == 0 and out.stdout == doc,
      "run: build/lienthongd --config-md > docs/config.md")

with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
    readme = f.read()
for cmd in ("make run", "make test"):
    check(f"README names {cmd}", cmd in readme)
help_out = subprocess.run([os.path.join(BUILD, "lienthong"), "--help"], capture_output=True, text=True).stdout
for verb in ("code", "init", "import", "export", "unit", "token", "system", "report"):
    check(f"cli has {verb}", f"  {verb} " in help_out)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
