"""The one settings module. Everything that differs between a laptop and a server
comes from environment variables (see docs/configuration.md)."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("FUPIN_DATA_DIR") or Path.cwd() / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """FUPIN_SECRET_KEY, or a random key kept in DATA_DIR so sessions survive restarts."""
    if key := os.environ.get("FUPIN_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("FUPIN_DEBUG", False)
ALLOWED_HOSTS = env_list("FUPIN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
HTTPS = env_bool("FUPIN_HTTPS", False)  # set behind TLS in production

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "fupin.core",
    "fupin.areas",
    "fupin.accounts",
    "fupin.audit",
    "fupin.jobs",
    "fupin.registry",
    "fupin.identification",
    "fupin.procedures",
    "fupin.comparison",
    "fupin.assistance",
    "fupin.exits",
    "fupin.delisting",
    "fupin.monitoring",
    "fupin.dynamics",
    "fupin.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "fupin.core.middleware.ActionErrorMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.core.context.shell",
            ],
            "builtins": ["fupin.core.templatetags.fupin"],
        },
    }
]

DATABASE_URL = os.environ.get("FUPIN_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'fupin.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # One writer at a time, waiting instead of failing: the web server and the
        # job worker share the file.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FUPIN_TEST_SQLITE_NAME") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A second connection to the same database, for job progress alone (fupin.jobs.actions.
    # Progress): it commits at once, so a job's page sees the progress of an import that runs
    # inside one transaction. Tests use the default test database through it (MIRROR).
    DATABASES["progress"] = {**DATABASES["default"], "OPTIONS": dict(DATABASES["default"].get("OPTIONS") or {}),
                             "TEST": {"MIRROR": "default"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fupin.accounts.backends.LockoutBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fupin.accounts.validators.CharacterClassValidator"},
]

# Session: 30 minutes of inactivity ends it (FUPIN_SESSION_MINUTES).
SESSION_COOKIE_AGE = int(os.environ.get("FUPIN_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("FUPIN_CSRF_TRUSTED_ORIGINS", "")

# Content-Security-Policy (Django 6 built-in): scripts only from this site or with
# the per-request nonce; no inline event handlers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],  # ECharts and htmx set element styles
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Login lock-out: FUPIN_LOGIN_MAX_FAILURES failures within FUPIN_LOCKOUT_WINDOW_MINUTES of the first
# one (reset by a successful sign-in) lock the account for FUPIN_LOGIN_LOCK_MINUTES; a failure after
# the window starts a new count.
LOGIN_MAX_FAILURES = int(os.environ.get("FUPIN_LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCK_MINUTES = int(os.environ.get("FUPIN_LOGIN_LOCK_MINUTES", "15"))
LOCKOUT_WINDOW_MINUTES = int(os.environ.get("FUPIN_LOCKOUT_WINDOW_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

TASKS = {
    "default": {
        "BACKEND": os.environ.get("FUPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FUPIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                "weasyprint": {"level": "WARNING"}},  # (INFO: a line per page of every PDF)
}

# Rows per page in every table.
PAGE_SIZE = 50

# A registry import that at least doubles the member table (a province's first load) drops
# the registry's indexes and builds them after the rows are in, blocking other sessions on
# those tables until it commits: "never" for a database other areas already use.
IMPORT_REBUILD_INDEXES = os.environ.get("FUPIN_IMPORT_REBUILD_INDEXES", "auto")
if IMPORT_REBUILD_INDEXES not in ("auto", "never"):
    raise ImproperlyConfigured("FUPIN_IMPORT_REBUILD_INDEXES must be auto or never")

# Assistance (issue 5): the largest visit photo accepted, and after how many days
# without a visit a helper is listed on the coverage page.
ASSISTANCE_PHOTO_MAX_BYTES = int(float(os.environ.get("FUPIN_PHOTO_MAX_MB", "8")) * 1024 * 1024)
ASSISTANCE_VISIT_GAP_DAYS = int(os.environ.get("FUPIN_VISIT_GAP_DAYS", "60"))
# How many photos one visit holds, and for how many days after recording a measure or a
# visit the user who recorded it may correct or withdraw it themselves (afterwards an
# office keeping assistance records does). The project's choices: no policy document
# in the seeds sets either number.
ASSISTANCE_PHOTO_MAX_COUNT = 10
ASSISTANCE_OWN_CORRECTION_DAYS = 30
