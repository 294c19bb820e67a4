"""What the tests that drive the `lienthong` command line directly share:
running it against a database, and cases that report a failure and go on,
ending with the suite's `N passed, M failed` line and exit status."""
import os
import subprocess
import sys

CLI = os.path.join(os.environ["LT_BUILD_DIR"], "lienthong")
results = {"passed": 0, "failed": 0}


def run(db, *args, check=True):
    env = dict(os.environ, LIENTHONG_DB=db)
    p = subprocess.run([CLI, *args], env=env, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("lienthong %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def case(name, fn):
    try:
        fn()
        results["passed"] += 1
        print("ok   ", name)
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        results["failed"] += 1
        print("FAIL ", name, "-", e)


def finish():
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)
