"""The production server settings (src/jingsai/gunicorn_conf.py) that the README and
bench/exam_load.py use: gunicorn accepts them, and the environment tunes them."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(monkeypatch, **env):
    for name in ("JINGSAI_BIND", "WEB_CONCURRENCY", "JINGSAI_THREADS", "JINGSAI_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import jingsai.gunicorn_conf as conf

    return importlib.reload(conf)


def test_defaults_preload_threaded_workers_with_keep_alive_beyond_the_heartbeat(monkeypatch):
    conf = _load(monkeypatch)
    assert conf.bind == ["127.0.0.1:8000"]
    assert conf.worker_class == "gthread" and conf.threads == 2 and conf.preload_app is True
    assert conf.workers == 8 * (os.cpu_count() or 1)
    assert conf.keepalive > 20  # the exam page's heartbeat comes every 20 seconds
    assert conf.accesslog is None and conf.wsgi_app == "jingsai.wsgi:application"


def test_the_environment_sets_address_workers_threads_and_access_log(monkeypatch):
    conf = _load(monkeypatch, JINGSAI_BIND="0.0.0.0:9000, unix:/run/jingsai.sock", WEB_CONCURRENCY="5",
                 JINGSAI_THREADS="4", JINGSAI_ACCESS_LOG="-")
    assert conf.bind == ["0.0.0.0:9000", "unix:/run/jingsai.sock"]
    assert (conf.workers, conf.threads, conf.accesslog) == (5, 4, "-")


def test_gunicorn_accepts_the_settings_and_loads_the_application():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_SETTINGS_MODULE": "jingsai.settings",
           "WEB_CONCURRENCY": "1"}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "-c", "python:jingsai.gunicorn_conf"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
