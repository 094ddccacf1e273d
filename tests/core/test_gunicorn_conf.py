"""The production server settings (src/jingsai/gunicorn_conf.py) that the README and
bench/exam_load.py use: gunicorn accepts them, and the environment tunes them."""

import importlib
import os
import subprocess
import sys

import pytest

from tests.commands import ROOT, process_env


def _load(monkeypatch, **env):
    for name in ("JINGSAI_BIND", "WEB_CONCURRENCY", "JINGSAI_THREADS", "JINGSAI_ACCESS_LOG", "JINGSAI_REUSE_PORT"):
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
    assert conf.reuse_port is False  # one socket shared by the workers (measured faster on a small machine)


def test_the_environment_sets_address_workers_threads_and_access_log(monkeypatch):
    conf = _load(monkeypatch, JINGSAI_BIND="0.0.0.0:9000, unix:/run/jingsai.sock", WEB_CONCURRENCY="5",
                 JINGSAI_THREADS="4", JINGSAI_ACCESS_LOG="-", JINGSAI_REUSE_PORT="1")
    assert conf.bind == ["0.0.0.0:9000", "unix:/run/jingsai.sock"]
    assert (conf.workers, conf.threads, conf.accesslog) == (5, 4, "-")
    assert conf.reuse_port is False  # a Unix socket's path belongs to one socket: the workers share it


def test_a_socket_per_worker_when_asked_for_and_only_for_tcp_addresses(monkeypatch):
    assert _load(monkeypatch, JINGSAI_BIND="0.0.0.0:8000,[::]:8000", JINGSAI_REUSE_PORT="1").reuse_port is True
    assert _load(monkeypatch, JINGSAI_BIND="fd://3", JINGSAI_REUSE_PORT="1").reuse_port is False
    assert _load(monkeypatch, JINGSAI_REUSE_PORT="0").reuse_port is False
    assert _load(monkeypatch, JINGSAI_REUSE_PORT="yes").reuse_port is False  # only 1 turns it on


def test_gunicorn_accepts_the_settings_and_loads_the_application():
    env = process_env(WEB_CONCURRENCY="1")
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "-c", "python:jingsai.gunicorn_conf"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("module", ["jingsai.wsgi", "jingsai.asgi"])
def test_loading_the_application_does_the_first_requests_work(module):
    """Loading the application (which gunicorn's preloading master does once, before it
    forks) imports the URL configuration and loads the translations, so that no worker
    does it inside a candidate's first request."""
    probe = (f"import sys; import {module}; from django.utils.translation import trans_real; "
             "print('jingsai.urls' in sys.modules, 'jingsai.exams.api' in sys.modules, "
             "*sorted(trans_real._translations))")
    env = process_env()
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "en", "zh-hans"]


@pytest.mark.parametrize("reuse_port", ["0", "1"])
def test_every_request_is_answered_on_the_port(tmp_path, reuse_port):
    """Started with these settings, gunicorn answers every request on the port. With a
    socket per worker, more than one worker answers: each binds a socket of its own, and
    none is left without one (as would happen to all but the last if they took turns
    binding one Unix socket path)."""
    import http.client
    import json
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = process_env(WEB_CONCURRENCY="3", JINGSAI_BIND=f"127.0.0.1:{port}", JINGSAI_VAR_DIR=str(tmp_path),
                      JINGSAI_ACCESS_LOG=str(tmp_path / "access"), JINGSAI_REUSE_PORT=reuse_port)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:jingsai.gunicorn_conf",
                               "--access-logformat", "%(p)s"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    access = tmp_path / "access"

    def served_by():
        return {line.strip() for line in access.read_text().splitlines()} if access.exists() else set()

    try:
        answers = []
        deadline = time.monotonic() + 60
        # With a socket per worker, a worker answers only once it has bound its own: the
        # first one up can answer sixty requests before the others have, so go on (within
        # the deadline) until a second one has answered.
        workers_wanted = 2 if reuse_port == "1" else 1
        while time.monotonic() < deadline and (len(answers) < 60 or len(served_by()) < workers_wanted):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", "/api/exams/ping")
                response = connection.getresponse()
                answers.append((response.status, json.loads(response.read())))
            except OSError:
                time.sleep(0.2)  # still starting
            finally:
                connection.close()
        assert len(answers) >= 60 and all(answer == (200, {"ok": True}) for answer in answers)
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=60)
    if reuse_port == "1":
        assert len(served_by()) > 1, errors[-2000:]


def test_the_master_freezes_what_it_has_loaded_before_each_fork(monkeypatch):
    """What the preloading master holds is moved out of the collector's reach before a
    worker is forked, so a worker's full collections skip it."""
    import gc

    conf = _load(monkeypatch)
    frozen_before = gc.get_freeze_count()
    try:
        loaded = [object() for _ in range(3)], {"a": []}  # tracked containers, as the application is
        conf.pre_fork(server=None, worker=None)
        assert gc.get_freeze_count() > frozen_before
        assert not any(thing is loaded for thing in gc.get_objects())
    finally:
        gc.unfreeze()
