"""Settings come from the environment alone; production mode refuses development secrets.
Each case imports the settings module in a fresh interpreter with its own environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REAL_SECRET = "a-real-production-secret-" + "x" * 40
REAL_DATA_KEY = "a-real-data-key-" + "y" * 40
SHOW = (
    "import json, jingsai.settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'secure': s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE, "
    "'db': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'cache': s.CACHES['default']['BACKEND'], 'tasks': s.TASKS['default']['BACKEND'], "
    "'rq': 'django_rq' in s.INSTALLED_APPS, 'hosts': s.ALLOWED_HOSTS, 'hasher': s.PASSWORD_HASHERS[0], "
    "'session_age': s.SESSION_COOKIE_AGE}))"
)


def settings_in(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JINGSAI_DATA_KEY", "JINGSAI_PRODUCTION",
                          "DEBUG", "ALLOWED_HOSTS"}}
    clean.update(JINGSAI_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", SHOW], capture_output=True, text=True, env=clean, timeout=60)


def test_development_defaults(tmp_path):
    done = settings_in(tmp_path)
    values = json.loads(done.stdout)
    assert values["debug"] is True and values["secure"] is False
    assert values["db"] == "django.db.backends.sqlite3" and values["name"] == str(tmp_path / "jingsai.sqlite3")
    assert values["cache"].endswith("FileBasedCache") and values["tasks"] == "django_tasks_db.DatabaseBackend"
    assert values["hasher"].endswith("Argon2PasswordHasher") and values["session_age"] == 8 * 3600
    secrets = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert secrets["SECRET_KEY"].startswith("dev-") and len(secrets["JINGSAI_DATA_KEY"]) >= 32
    assert oct((tmp_path / "dev-secrets.json").stat().st_mode)[-3:] == "600"
    settings_in(tmp_path)
    assert json.loads((tmp_path / "dev-secrets.json").read_text()) == secrets  # kept across restarts


@pytest.mark.parametrize(("secret", "data_key", "words"), [
    (None, REAL_DATA_KEY, "SECRET_KEY"),
    (REAL_SECRET, None, "JINGSAI_DATA_KEY"),
    ("dev-" + "z" * 50, REAL_DATA_KEY, "SECRET_KEY"),
    ("django-insecure-" + "z" * 50, REAL_DATA_KEY, "SECRET_KEY"),
    ("short", REAL_DATA_KEY, "too short"),
    ("devsecret", REAL_DATA_KEY, "SECRET_KEY"),
])
def test_production_refuses_missing_or_development_secrets(tmp_path, secret, data_key, words):
    env = {"JINGSAI_PRODUCTION": "1"}
    if secret == "devsecret":
        settings_in(tmp_path)  # a development checkout generated its secrets
        secret = json.loads((tmp_path / "dev-secrets.json").read_text())["SECRET_KEY"].replace("dev-", "")
        (tmp_path / "dev-secrets.json").write_text(json.dumps({"SECRET_KEY": secret + "-" * 40,
                                                               "JINGSAI_DATA_KEY": "x"}))
        secret = secret + "-" * 40
    if secret is not None:
        env["SECRET_KEY"] = secret
    if data_key is not None:
        env["JINGSAI_DATA_KEY"] = data_key
    done = settings_in(tmp_path, **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and words in done.stderr


def test_production_with_real_secrets(tmp_path):
    done = settings_in(tmp_path, JINGSAI_PRODUCTION="1", SECRET_KEY=REAL_SECRET, JINGSAI_DATA_KEY=REAL_DATA_KEY,
                       ALLOWED_HOSTS="jingsai.example.org, www.jingsai.example.org", DEBUG="1")
    values = json.loads(done.stdout)
    assert values["debug"] is False and values["secure"] is True  # DEBUG=1 does not turn it on in production
    assert values["hosts"] == ["jingsai.example.org", "www.jingsai.example.org"]
    assert not (tmp_path / "dev-secrets.json").exists()


def test_database_url_and_redis_url(tmp_path):
    done = settings_in(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/somedb", REDIS_URL="redis://127.0.0.1:6379/3")
    values = json.loads(done.stdout)
    assert values["db"] == "django.db.backends.postgresql" and values["name"] == "somedb"
    assert values["cache"].endswith("RedisCache") and values["tasks"] == "django_tasks_rq.RQBackend"
    assert values["rq"] is True


def test_redis_really_serves_the_cache_when_it_runs(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", 6379)) != 0:
            pytest.skip("no Redis on 127.0.0.1:6379")
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='jingsai.settings'; django.setup();"
            "from django.core.cache import cache; cache.set('jingsai-test', 42, 5); print(cache.get('jingsai-test'))")
    env = {**os.environ, "JINGSAI_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/15"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "42", done.stderr


ENQUEUE = (
    "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'jingsai.settings'; django.setup()\n"
    "from django.db import transaction\nfrom jingsai.core import jobs\n"
    "with transaction.atomic():\n"
    "    job = jobs.start(kind='t', title=sys.argv[1], func='tests.core.test_masking_crypto_audit.job_ok',"
    " actor=None, params={'n': 2})\n"
    "print(job.pk)\n"
)
STATUS = (
    "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'jingsai.settings'; django.setup()\n"
    "from jingsai.core.models import Job\nprint(Job.objects.get(pk=sys.argv[1]).status)\n"
)


def test_jingsai_worker_runs_jobs_from_the_database_queue_and_from_redis(tmp_path):
    """`jingsai worker` picks the worker that suits the settings; the same database works
    with and without REDIS_URL."""
    root = Path(__file__).resolve().parent.parent
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    base.update(JINGSAI_VAR_DIR=str(tmp_path), PYTHONPATH=str(root))
    jingsai = [sys.executable, "-m", "jingsai.cli"]

    def run(args, **env):
        done = subprocess.run(args, capture_output=True, text=True, timeout=180, env={**base, **env}, cwd=root)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    run([*jingsai, "migrate", "-v0"])
    queues = [{}]
    if _redis_up():
        # CI runs the SQLite and the PostgreSQL suites at once: each its own Redis database,
        # or one's worker could take the other's job.
        queues.append({"REDIS_URL": f"redis://127.0.0.1:6379/{14 if os.environ.get('DATABASE_URL') else 15}"})
    for env in queues:
        job = run([sys.executable, "-c", ENQUEUE, "job"], **env)
        run([*jingsai, "worker", "--burst"], **env)
        assert run([sys.executable, "-c", STATUS, job], **env) == "succeeded", env


def _redis_up():
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0
