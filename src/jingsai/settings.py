"""All settings, driven by environment variables; nothing else configures the project.

DATABASE_URL   default: SQLite file var/jingsai.sqlite3 in the project folder
REDIS_URL      optional: cache, live-update fan-out and the task queue (RQ)
SECRET_KEY     generated and kept in var/ for development; required in production
JINGSAI_DATA_KEY  key that encrypts identity numbers and phones at rest (see README);
               generated and kept in var/ for development; required in production
JINGSAI_PRODUCTION=1  production mode: refuses development secrets, DEBUG off
DEBUG, ALLOWED_HOSTS (comma-separated), CSRF_TRUSTED_ORIGINS (comma-separated)
JINGSAI_VAR_DIR  where the SQLite file, generated secrets and produced files live
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("JINGSAI_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = env_bool("JINGSAI_PRODUCTION", False)
DEV_SECRETS_FILE = VAR_DIR / "dev-secrets.json"


def _development_secrets():
    """Secrets generated once per checkout so sessions and encrypted data survive restarts."""
    if DEV_SECRETS_FILE.exists():
        return json.loads(DEV_SECRETS_FILE.read_text())
    values = {
        "SECRET_KEY": "dev-" + secrets.token_urlsafe(50),
        "JINGSAI_DATA_KEY": secrets.token_urlsafe(32),
    }
    DEV_SECRETS_FILE.write_text(json.dumps(values))
    DEV_SECRETS_FILE.chmod(0o600)
    return values


def _secret(name):
    value = os.environ.get(name, "")
    if PRODUCTION:
        dev_values = (
            json.loads(DEV_SECRETS_FILE.read_text()) if DEV_SECRETS_FILE.exists() else {}
        )
        if not value or value == dev_values.get(name) or value.startswith(("dev-", "django-insecure")):
            raise ImproperlyConfigured(
                f"{name} must be set to a real secret in production mode "
                f"(JINGSAI_PRODUCTION=1); a missing or development value is refused."
            )
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name} is too short for production (at least 32 characters).")
        return value
    return value or _development_secrets()[name]


SECRET_KEY = _secret("SECRET_KEY")
DATA_KEY = _secret("JINGSAI_DATA_KEY")
DEBUG = False if PRODUCTION else env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The reverse proxies in front of the application (addresses or networks, e.g. 127.0.0.1,
# 10.0.0.0/8): a request from one of them is taken to come from the address it names in
# X-Forwarded-For. Login throttling, exam IP ranges and the audit log use that address.
TRUSTED_PROXIES = env_list("JINGSAI_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "jingsai.core",
    "jingsai.accounts",
    "jingsai.orgs",
    "jingsai.people",
    "jingsai.competitions",
    "jingsai.registration",
    "jingsai.judging",
    "jingsai.exams",
    "jingsai.results",
    "jingsai.public",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_tasks",
    # Its tables exist whatever the queue, so a database can move to or from Redis.
    "django_tasks_db",
]

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "jingsai",
            # An unreachable Redis costs a request a second, not redis-py's default wait: the
            # cache is used inside starts and hand-ins (guarded, see exams.services.live_list).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # One machine: a cache in files under var/, which every server process shares (an
    # exam's live list is computed once for all of them, and a start in one shows in the
    # others at once), where each process's own memory would keep a copy apiece.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache"), "OPTIONS": {"MAX_ENTRIES": 10000}}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "jingsai.core.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jingsai.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "jingsai.urls"
WSGI_APPLICATION = "jingsai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jingsai.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'jingsai.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and the web server share the file; the busy timeout makes
    # a writer wait for another instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite cannot make the "one assignment per user, role and place" constraint treat NULLs
# as equal; accounts.services.grant_role (get_or_create) keeps assignments unique there,
# and PostgreSQL enforces the constraint as well.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jingsai.accounts.backends.JingsaiBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "public:home"
# Failed logins allowed per account and per address within the window before refusal.
LOGIN_THROTTLE = {"per_account": 5, "per_address": 20, "window_seconds": 15 * 60}

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "jingsai_language"
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

SITE_NAME = _("Jingsai: workers' skill competitions")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
FORM_RENDERER = "jingsai.core.forms.Renderer"
