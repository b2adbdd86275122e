"""Django settings, from environment variables.

Development and the demo use an embedded SQLite database in ``BATTKOMP_DATA_DIR`` (default
``./data``); ``DATABASE_URL`` switches to PostgreSQL. ``BATTKOMP_MODE=production`` (what
``battkomp serve`` sets) refuses demo secrets and turns on secure cookies and HSTS.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # src/battkomp
DATA_DIR = Path(os.environ.get("BATTKOMP_DATA_DIR", Path.cwd() / "data")).resolve()
MODE = os.environ.get("BATTKOMP_MODE", "development")
PRODUCTION = MODE == "production"

DEMO_SECRET_KEY = "battkomp-demo-secret-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = os.environ.get("BATTKOMP_SECRET_KEY", DEMO_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEMO_SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("production needs BATTKOMP_SECRET_KEY of its own, not the demo key")
DEBUG = os.environ.get("BATTKOMP_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("BATTKOMP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("BATTKOMP_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "battkomp.accounts",
    "battkomp.actors",
    "battkomp.survey",
    "battkomp.offers",
    "battkomp.analysis",
    "battkomp.public",
    "battkomp.api",
    "battkomp.exchange",
    "battkomp.inquiries",
    "battkomp.measures",
    "battkomp.pathways",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "battkomp.accounts.context.persona",
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
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "battkomp.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
                # the start of a transaction so two writers queue instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
LOGIN_REDIRECT_URL = "public:home"
LOGOUT_REDIRECT_URL = "public:home"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian bokmål")), ("en", _("English"))]
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

EMAIL_BACKEND = os.environ.get(
    "BATTKOMP_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("BATTKOMP_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("BATTKOMP_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("BATTKOMP_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("BATTKOMP_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("BATTKOMP_EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("BATTKOMP_FROM_EMAIL", "battkomp@localhost")
SITE_URL = os.environ.get("BATTKOMP_SITE_URL", "http://127.0.0.1:8000")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("BATTKOMP_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("BATTKOMP_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Uploads: small limits; the importers check content on top of this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
BATTKOMP_MAX_UPLOAD_BYTES = int(os.environ.get("BATTKOMP_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))

# Invitations and login throttling
BATTKOMP_INVITATION_DAYS = int(os.environ.get("BATTKOMP_INVITATION_DAYS", "14"))
BATTKOMP_LOGIN_ATTEMPTS = int(os.environ.get("BATTKOMP_LOGIN_ATTEMPTS", "5"))
BATTKOMP_LOGIN_WINDOW_SECONDS = int(os.environ.get("BATTKOMP_LOGIN_WINDOW_SECONDS", "900"))
# Password-reset requests per hour: per e-mail address (more are silently not sent) and per
# client address (more are refused with 429).
BATTKOMP_RESET_PER_EMAIL = int(os.environ.get("BATTKOMP_RESET_PER_EMAIL", "3"))
BATTKOMP_RESET_PER_ADDRESS = int(os.environ.get("BATTKOMP_RESET_PER_ADDRESS", "10"))
# Inquiries (the contact form): working days before an unanswered inquiry is overdue, inquiries
# per sender e-mail and per client address within the window, send attempts per e-mail, and the
# days an inquiry keeps its client address.
BATTKOMP_INQUIRY_OVERDUE_DAYS = int(os.environ.get("BATTKOMP_INQUIRY_OVERDUE_DAYS", "3"))
BATTKOMP_INQUIRY_RATE_LIMIT = int(os.environ.get("BATTKOMP_INQUIRY_RATE_LIMIT", "5"))
BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = int(
    os.environ.get("BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS", "3600")
)
BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS = int(os.environ.get("BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS", "8"))
BATTKOMP_INQUIRY_IP_RETENTION_DAYS = int(os.environ.get("BATTKOMP_INQUIRY_IP_RETENTION_DAYS", "30"))
# Reverse proxies whose X-Forwarded-For is believed (comma-separated IP addresses); see
# battkomp.core.client.
BATTKOMP_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("BATTKOMP_TRUSTED_PROXIES", "").split(",") if p.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BATTKOMP_LOG_LEVEL", "WARNING")},
}
