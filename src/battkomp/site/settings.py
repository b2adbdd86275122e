"""Django settings, from environment variables.

Development and the demo use an embedded SQLite database in ``BATTKOMP_DATA_DIR`` (default
``./data``); ``DATABASE_URL`` switches to PostgreSQL. ``BATTKOMP_MODE=production`` (what
``battkomp serve`` sets) refuses demo secrets and turns on secure cookies and HSTS.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from battkomp.site.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent  # src/battkomp
DATA_DIR = Path(os.environ.get("BATTKOMP_DATA_DIR") or Path.cwd() / "data").resolve()
MODE = env_choice("BATTKOMP_MODE", "development", ("development", "production"))
PRODUCTION = MODE == "production"

DEMO_SECRET_KEY = "battkomp-demo-secret-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = os.environ.get("BATTKOMP_SECRET_KEY", DEMO_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEMO_SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("production needs BATTKOMP_SECRET_KEY of its own, not the demo key")
DEBUG = env_bool("BATTKOMP_DEBUG", False)
ALLOWED_HOSTS = env_list("BATTKOMP_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("BATTKOMP_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "battkomp.worker",
    "battkomp.accounts",
    "battkomp.organisations",
    "battkomp.survey",
    "battkomp.offers",
    "battkomp.analysis",
    "battkomp.api",
    "battkomp.workbooks",
    "battkomp.contact",
    "battkomp.measures",
    "battkomp.pathways",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "battkomp.site.language.LocaleMiddleware",  # Django's, plus /api/ follows the visitor
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "battkomp.site.urls"
WSGI_APPLICATION = "battkomp.site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # the number filters (num, num_range) in every template, without {% load %}
            "builtins": ["battkomp.core.numbers", "battkomp.core.bilingual"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "battkomp.accounts.context.persona",
                "battkomp.site.navigation.navigation",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, object]]:
    url = os.environ.get("DATABASE_URL")
    if url:
        import dj_database_url

        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        return {"default": dict(db)}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            # Django's SQLite backend, with the threads of a process queued for the write lock in
            # the process (battkomp.core.sqlite.base; docs/performance.md).
            "ENGINE": "battkomp.core.sqlite",
            "NAME": DATA_DIR / "battkomp.sqlite3",
            # Each server thread keeps its connection (opening one and running the PRAGMAs below
            # on every request cost more than most requests' queries; docs/performance.md).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
                # the start of a transaction so two writers queue instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            # The test database is a file too (not Django's shared in-memory one), so tests with
            # threads see the same locking (busy timeout, immediate transactions) as the site.
            "TEST": {"NAME": str(DATA_DIR / "test-battkomp.sqlite3")},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every password login (the site's, the admin's) goes through the login throttle.
AUTHENTICATION_BACKENDS = ["battkomp.accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian bokmål")), ("en", _("English"))]
# British dates on the English pages (battkomp/site/formats/en/formats.py)
FORMAT_MODULE_PATH = ["battkomp.site.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The site's own files (site.css) live in the package, outside any app's static folder.
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    # Development serves from the finders; WhiteNoise warns when STATIC_ROOT does not exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = env_str(
    "BATTKOMP_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("BATTKOMP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("BATTKOMP_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("BATTKOMP_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("BATTKOMP_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("BATTKOMP_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("BATTKOMP_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "BATTKOMP_EMAIL_USE_TLS and BATTKOMP_EMAIL_USE_SSL are both on; choose one"
    )
# Seconds an SMTP connection may block. Mail is sent by the task worker, never in a request, so
# a slow or dead mail server delays only the worker.
EMAIL_TIMEOUT = env_float("BATTKOMP_EMAIL_TIMEOUT", 10.0, minimum=0.1)
DEFAULT_FROM_EMAIL = env_str("BATTKOMP_FROM_EMAIL", "battkomp@localhost")
SITE_URL = env_str("BATTKOMP_SITE_URL", "http://127.0.0.1:8000")

# The secret key of the disclosure control's noise (docs/operations.md, "The noise key"): the
# value of BATTKOMP_SDC_KEY, or the contents of the file BATTKOMP_SDC_KEY_FILE names (kept
# outside the database and its dumps). Development and the demo fall back to the demo key;
# production has no key unless one is set, and then refuses to publish
# (battkomp.analysis.publishing.noise.noise_key).
DEMO_SDC_KEY = "battkomp-demo-noise-key-not-for-production-use"
BATTKOMP_SDC_KEY = env_str("BATTKOMP_SDC_KEY", "")
BATTKOMP_SDC_KEY_FILE = env_str("BATTKOMP_SDC_KEY_FILE", "")

# The report's cover (battkomp.analysis.report.branding): the partners' names, and their logos
# as image files, each optionally "Name=path" (the name is the logo's text alternative). Both
# empty by default: then the cover names no partners and has no logo row.
BATTKOMP_REPORT_PARTNERS = env_list("BATTKOMP_REPORT_PARTNERS")
BATTKOMP_REPORT_LOGOS = env_list("BATTKOMP_REPORT_LOGOS")


def _caches() -> dict[str, dict[str, object]]:
    """One cache shared by every worker process: Redis when ``BATTKOMP_CACHE_URL`` is set,
    else files in the data folder (published snapshots are cached there; see
    docs/operations.md)."""
    url = env_str("BATTKOMP_CACHE_URL", "").strip()
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"BATTKOMP_CACHE_URL={url!r} is not a redis://, rediss:// or unix:// address"
            )
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "TIMEOUT": None,
            }
        }
    return {
        "default": {
            "BACKEND": "battkomp.core.filecache.FileCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": env_int("BATTKOMP_CACHE_MAX_ENTRIES", 5000, minimum=10)},
        }
    }


CACHES = _caches()

# Background work (Django's Tasks API through the django-tasks backport): model runs,
# publication builds, report rendering and every e-mail are tasks, stored in the database and
# carried out by `battkomp manage run_worker` (started by `battkomp demo`, its own process in
# production). "immediate" runs each task inside the request that enqueues it (for tests).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS[
            env_choice("BATTKOMP_TASK_BACKEND", "database", tuple(TASK_BACKENDS))
        ],
        "QUEUES": ["default", "mail", "runs"],
    }
}
# Model runs carried out at once, over all workers; more wait in the queue.
BATTKOMP_MAX_CONCURRENT_RUNS = env_int("BATTKOMP_MAX_CONCURRENT_RUNS", 1, minimum=1, maximum=64)
# A running model run, and every task a worker carries out, writes a heartbeat this often; one
# silent for BATTKOMP_RUN_STALE_SECONDS (its worker was killed, the machine restarted) is marked
# failed and can be retried (tasks safe to repeat are queued again).
BATTKOMP_RUN_HEARTBEAT_SECONDS = env_int("BATTKOMP_RUN_HEARTBEAT_SECONDS", 5, minimum=1)
BATTKOMP_RUN_STALE_SECONDS = env_int("BATTKOMP_RUN_STALE_SECONDS", 60, minimum=2)
# What the worker does every BATTKOMP_RUN_HEARTBEAT_SECONDS besides the tasks.
BATTKOMP_WORKER_UPKEEP = [
    "battkomp.analysis.runs.actions.reap_stale_runs",
    "battkomp.worker.heartbeat.reap_lost_tasks",
    "battkomp.survey.tasks.queue_due_reminders",
]
# Survey reminders: the worker queues them on weekdays between these hours (local time) for the
# organisations of open rounds that have not submitted, at most once every
# BATTKOMP_REMINDER_MIN_DAYS days per organisation (0: no automatic reminders).
BATTKOMP_REMINDER_MIN_DAYS = env_int("BATTKOMP_REMINDER_MIN_DAYS", 7, minimum=0, maximum=365)
BATTKOMP_REMINDER_HOURS = (8, 16)
# Attempts to send one e-mail (with growing pauses) before the mail task gives up.
BATTKOMP_MAIL_MAX_ATTEMPTS = env_int("BATTKOMP_MAIL_MAX_ATTEMPTS", 5, minimum=1, maximum=50)

# Sessions are kept in the database and, as they are written, in the shared cache (Django's
# write-through "cached_db"): a signed-in request reads its session from the cache, falling back
# to the database when the entry is missing (emptied, culled, expired). Logging out, a password
# change and an expired session end it in both. One query less on every signed-in request
# (docs/performance.md, docs/decisions.md 55).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Every cookie the site sets: HttpOnly where scripts never need it (no page has a script),
# SameSite=Lax, and Secure in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# A strict Content-Security-Policy on every response (django-csp): no page runs a script or
# loads anything from elsewhere; the charts are inline SVG and the styles come from site.css.
# One exception: a model run's page, while the run works, runs the site's own progress script
# (static/battkomp/run-progress.js, script-src 'self' on that response only; analysis.runs.views).
# The downloadable HTML report carries its own <style>, allowed by its hash on that response
# only (battkomp.site.security.allow_inline_styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'none'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("BATTKOMP_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("BATTKOMP_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# Uploads: small limits; the importers check content on top of this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
BATTKOMP_MAX_UPLOAD_BYTES = env_int("BATTKOMP_MAX_UPLOAD_BYTES", 5 * 1024 * 1024, minimum=1)

# Invitations and login throttling
BATTKOMP_INVITATION_DAYS = env_int("BATTKOMP_INVITATION_DAYS", 14, minimum=0)
BATTKOMP_LOGIN_ATTEMPTS = env_int("BATTKOMP_LOGIN_ATTEMPTS", 5, minimum=1)
BATTKOMP_LOGIN_WINDOW_SECONDS = env_int("BATTKOMP_LOGIN_WINDOW_SECONDS", 900, minimum=1)
# Password-reset requests per hour: per e-mail address (more are silently not sent) and per
# client address (more are refused with 429).
BATTKOMP_RESET_PER_EMAIL = env_int("BATTKOMP_RESET_PER_EMAIL", 3, minimum=0)
BATTKOMP_RESET_PER_ADDRESS = env_int("BATTKOMP_RESET_PER_ADDRESS", 10, minimum=0)
# Inquiries (the contact form): working days before an unanswered inquiry is overdue, inquiries
# per sender e-mail and per client address within the window, send attempts per e-mail, and the
# days an inquiry keeps its client address.
BATTKOMP_INQUIRY_OVERDUE_DAYS = env_int("BATTKOMP_INQUIRY_OVERDUE_DAYS", 3, minimum=0)
BATTKOMP_INQUIRY_RATE_LIMIT = env_int("BATTKOMP_INQUIRY_RATE_LIMIT", 5, minimum=0)
BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = env_int(
    "BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS", 3600, minimum=0
)
BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS = env_int("BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS", 8, minimum=0)
BATTKOMP_INQUIRY_IP_RETENTION_DAYS = env_int("BATTKOMP_INQUIRY_IP_RETENTION_DAYS", 30, minimum=0)
# Reverse proxies whose X-Forwarded-For is believed (comma-separated IP addresses); see
# battkomp.core.client.
BATTKOMP_TRUSTED_PROXIES = env_list("BATTKOMP_TRUSTED_PROXIES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "BATTKOMP_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
}
