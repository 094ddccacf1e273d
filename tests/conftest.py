"""Shared test set-up: fast password hashing, jobs that run at once, and factories."""

import pytest

from tests import factories, i18n_guard


def pytest_configure(config):
    from django.conf import settings

    from jingsai.core.i18n import compile_all

    if compile_all():
        # Catalogues Django loaded while setting up would otherwise stay the stale ones.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
    i18n_guard.install()

    # Argon2 is the real hasher (see test_settings); tests hash thousands of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Nothing one test cached (a live list, say, under an id the next test's database
    reuses) reaches the next."""
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture
def make():
    """The factories module: make.org(), make.person(), make.user(role=..., org=...)."""
    return factories


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run jobs enqueued inside the block when it ends, as the worker would after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pytest_sessionfinish(session, exitstatus):
    message = i18n_guard.report()
    if message and exitstatus == 0 and not session.config.getoption("keyword"):
        session.config._i18n_report = message
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    message = getattr(terminalreporter.config, "_i18n_report", "") or i18n_guard.report()
    if message:
        terminalreporter.section("untranslated strings")
        terminalreporter.write_line(message)
