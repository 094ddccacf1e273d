"""How long `jingsai demo-data` takes, small and city, each into a fresh SQLite file.

Baseline, measured in the same run: the workers inserted the way a straightforward loader
would, one `people.services.create_person()` at a time (validation, encryption, save and an
audit record each), timed on SUBSET workers in a fresh database and extrapolated linearly
to the demo's worker count. The demo itself writes with bulk operations.

Targets (the foundation issue): small under 10 s, city well under a minute.

    .venv/bin/python bench/demo_data.py
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBSET = 300
TARGETS = {"small": 10.0, "city": 60.0}

BASELINE = f"""
import datetime, os, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "jingsai.settings"
django.setup()
from jingsai.core import idnumber
from jingsai.orgs.services import create_organization
from jingsai.people.services import create_person
unit = create_organization(None, parent=None, code="BENCH", name="基准企业", type="enterprise")
started = time.perf_counter()
for n in range({SUBSET}):
    number = idnumber.make("310104", datetime.date(1980, 1, 1) + datetime.timedelta(days=n), n % 1000)
    create_person(None, name="张三", id_number=number, employer=unit, phone=f"138{{n:08d}}")
print(time.perf_counter() - started)
"""


def jingsai(var_dir, *args, capture=False):
    env = {**os.environ, "JINGSAI_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "jingsai.cli", *args], env=env, check=True, cwd=ROOT,
                          capture_output=capture, text=True)


def fresh(var_dir):
    jingsai(var_dir, "migrate", "-v0", capture=True)


def load_seconds(size):
    with tempfile.TemporaryDirectory() as var_dir:
        fresh(var_dir)
        started = time.perf_counter()
        done = jingsai(var_dir, "demo-data", "--size", size, "--seed", "1", capture=True)
        wall = time.perf_counter() - started
        workers = int(re.search(r"workers: (\d+)", done.stdout).group(1))
    return wall, workers


def baseline_seconds_per_worker():
    with tempfile.TemporaryDirectory() as var_dir:
        fresh(var_dir)
        env = {**os.environ, "JINGSAI_VAR_DIR": var_dir}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        done = subprocess.run([sys.executable, "-c", BASELINE], env=env, check=True, capture_output=True, text=True,
                              cwd=ROOT)
    return float(done.stdout.strip().splitlines()[-1]) / SUBSET


def main():
    per_worker = baseline_seconds_per_worker()
    print(f"baseline: create_person() one at a time, {per_worker * 1000:.2f} ms per worker "
          f"(measured on {SUBSET}, fresh SQLite)")
    print(f"{'size':<6} {'workers':>8} {'demo-data (s)':>14} {'baseline (s)':>13} {'ratio':>7} {'target':>8}")
    ok = True
    for size in ("small", "city"):
        seconds, workers = load_seconds(size)
        baseline = per_worker * workers
        within = seconds < TARGETS[size]
        ok &= within
        print(f"{size:<6} {workers:>8} {seconds:>14.2f} {baseline:>13.1f} {baseline / seconds:>6.1f}x "
              f"{'<' + str(int(TARGETS[size])) + ' s':>8} {'ok' if within else 'TOO SLOW'}")
    print("demo-data time is the whole command (Python start-up, every app's demo, ANALYZE); the baseline "
          "counts the workers alone, so the ratio understates the gain.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
