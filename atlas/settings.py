"""Settings for Bildungsatlas, read from the environment.

Environment variables:
    DEBUG                   "true" for development (default: off)
    SECRET_KEY              required when DEBUG is off; development generates one in the data dir
    ALLOWED_HOSTS           comma-separated host names
    CSRF_TRUSTED_ORIGINS    comma-separated origins (https://example.org)
    DATABASE_URL            postgresql://user:password@host:5432/name; unset: embedded PostgreSQL
    DATABASE_REPLICA_URLS   comma-separated postgresql:// URLs of read replicas (see the replica
                            block at the end); DATABASE_REPLICA_RETRY_SECONDS
    BILDUNGSATLAS_DATA_DIR  where the embedded server keeps its data (default: user data dir)
    POSTGRES_BIN_DIR        pg_dump and pg_restore for backup and restore (default: the embedded
                            server's)
    SECURE_SSL_REDIRECT     "false" when a proxy in front already redirects (on in production)
    SECURE_HSTS_SECONDS     HSTS max-age (default: one year); SECURE_HSTS_PRELOAD "false" to opt out
    EMAIL_BACKEND, DEFAULT_FROM_EMAIL, CONN_MAX_AGE, STATIC_ROOT
    LOG_FORMAT, LOG_LEVEL   "json" (default when DEBUG is off) or "text"; the root level (WARNING)
    STATEMENT_TIMEOUT_MS    a query's limit: 10 s for web requests, 1 h for commands (0: none)
    SEARCH_REBUILD_INTERVAL seconds between a worker's search index patches or builds while
                            courses keep changing (default 3)
    TEXT_MATCHES_MB         text matches a worker keeps per build of the index (default 64 MB;
                            0: none kept)
    SEARCH_INDEX_DIR        where workers share built search indexes (default: in the data dir)
    FEEDBACK_PER_CLIENT, FEEDBACK_WINDOW_SECONDS   the barrier feedback form's limit
    TRUSTED_PROXY_HOPS      reverse proxies in front that append to X-Forwarded-For (default 0:
                            the client is REMOTE_ADDR and the header is never read)
    REDIS_URL               redis://host:6379/0: the shared cache and the rate limits' counts
                            in Redis (unset: in PostgreSQL, the table atlas_cache)
    IMPORT_MAX_UPLOAD_MB, IMPORT_INLINE_MAX_KB    the course import's largest file (50 MB) and
                            the largest checked during the request (256 KB; larger: a job)
    REQUIRE_2FA, LOGIN_*, PASSWORD_RESETS_*, PASSWORD_RESET_WINDOW_SECONDS: see the workspace
    block at the end
"""

import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from atlas.database import data_dir, database_settings, replica_settings

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
TESTING = "pytest" in sys.modules


def _development_secret_key() -> str:
    """A generated key, kept in the data directory (outside the repository)."""
    path = data_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_filters",
    "taggit",
    "atlas",
    "pages",
    "network",
    "measures",
]

MIDDLEWARE = [
    # Probes first (no host check, HTTPS redirect, session or log line), then the request id
    # that every later log record carries (atlas/health.py, atlas/request_log.py).
    "atlas.health.HealthMiddleware",
    "atlas.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "atlas.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "atlas.middleware.QueryTimeoutMiddleware",
    "atlas.outage.DatabaseOutageMiddleware",  # 503 while PostgreSQL cannot be reached
]

ROOT_URLCONF = "atlas.urls"
WSGI_APPLICATION = "atlas.wsgi.application"

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
                "atlas.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": database_settings()}

# While courses keep changing, a worker starts a new search index at most this often (seconds
# from one build's start to the next; measures/search_index.py).
SEARCH_REBUILD_INTERVAL = float(os.environ.get("SEARCH_REBUILD_INTERVAL", "3"))
TEXT_MATCHES_MB = float(os.environ.get("TEXT_MATCHES_MB", "64"))
# Where the workers share their built search indexes (one build for all; empty: each worker
# builds its own).
SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(data_dir() / "search-index"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
# German only until a translation exists: a browser asking for English must not get German
# text with English number formats.
LANGUAGES = [("de", _("Deutsch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Development and tests serve static files straight from the apps and static/ (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

FIXTURES_DIR = BASE_DIR / "fixtures"

# Security: strict by default outside development.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is the default; an operator who opts out has decided, so the check is silenced.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The Content-Security-Policy (atlas.middleware): no inline scripts or styles, nothing from
# another host.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "bildungsatlas@localhost")

# Logs go to standard error, one JSON object a line in production (LOG_FORMAT=json, the default
# when DEBUG is off) or readable text (LOG_FORMAT=text, development); every record made during a
# request carries its request id (atlas/request_log.py). LOG_LEVEL is the root's level (default
# WARNING); the request lines (atlas.requests) and the scheduled jobs (atlas.schedule) log at
# INFO (REQUEST_LOG_LEVEL=WARNING silences the request lines).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or (
    "text" if DEBUG or TESTING else "json"
)
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "atlas.request_log.JsonFormatter"},
        "text": {"()": "atlas.request_log.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "atlas.requests": {"level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
        "atlas.schedule": {"level": "INFO"},
        "atlas.health": {"level": "INFO"},
    },
}

TAGGIT_CASE_INSENSITIVE = True

# The barrier feedback form: at most 5 messages per client in an hour (core.ratelimit: one
# count for all workers and hosts).
FEEDBACK_PER_CLIENT = int(os.environ.get("FEEDBACK_PER_CLIENT", "5"))
FEEDBACK_WINDOW_SECONDS = int(os.environ.get("FEEDBACK_WINDOW_SECONDS", "3600"))

# --- Shared state and client addresses (issue 15) ---------------------------------------------
# The client's address (core.client): REMOTE_ADDR with no proxy in front (0, the default: the
# X-Forwarded-For header is then never read); with N reverse proxies, each appending to
# X-Forwarded-For, the N-th address from its right.
try:
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0") or "0")
except ValueError:
    raise ImproperlyConfigured("TRUSTED_PROXY_HOPS must be a number (0, 1, 2 …).") from None
if TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_HOPS must not be negative.")

# "default" is shared by every worker and host: PostgreSQL's table atlas_cache (migration
# atlas.0005; no extra server), or Redis when REDIS_URL is set. The rate limits count in Redis
# when it is there, else in PostgreSQL (core.ratelimit). "local" is each worker's own memory,
# for what is cheaper to compute than to fetch and is keyed by the data's generation, so no
# worker serves a stale copy: menus, the site's networks, map outlines, provider facets
# (README "Shared state and client addresses" says why, cache by cache).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHE_TABLE = "atlas_cache"
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bildungsatlas",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
# --- end of shared state block ---------------------------------------------------------------

# --- Workspace (issue 6): roles, admin site, accounts and security ---------------------------
# The admin runs on the workspace's admin site (scoping, dashboard, 2FA); TOTP through
# django-otp, with one-time backup codes (otp_static) for a lost phone. Environment:
# REQUIRE_2FA ("true" by default when DEBUG is off), LOGIN_FAILURES_PER_USERNAME,
# LOGIN_FAILURES_PER_CLIENT, LOGIN_LOCK_SECONDS, PASSWORD_RESETS_PER_EMAIL,
# PASSWORD_RESETS_PER_CLIENT, PASSWORD_RESET_WINDOW_SECONDS.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "workspace.apps.WorkspaceAdminConfig"
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "workspace",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
LOGIN_URL = "admin:login"
# Coordinators and superusers must log in with a second factor in production.
WORKSPACE_REQUIRE_2FA = env_bool("REQUIRE_2FA", not (DEBUG or TESTING))
OTP_TOTP_ISSUER = "Bildungsatlas"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Lock a user name after 5 failed log-ins (a client after 20) for 15 minutes.
LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("LOGIN_FAILURES_PER_USERNAME", "5"))
LOGIN_FAILURES_PER_CLIENT = int(os.environ.get("LOGIN_FAILURES_PER_CLIENT", "20"))
LOGIN_LOCK_SECONDS = int(os.environ.get("LOGIN_LOCK_SECONDS", str(15 * 60)))
# At most 3 password-reset emails per address (10 requests per client) in an hour.
PASSWORD_RESETS_PER_EMAIL = int(os.environ.get("PASSWORD_RESETS_PER_EMAIL", "3"))
PASSWORD_RESETS_PER_CLIENT = int(os.environ.get("PASSWORD_RESETS_PER_CLIENT", "10"))
PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("PASSWORD_RESET_WINDOW_SECONDS", "3600"))
# Sessions: end with the browser and after 8 hours at most; reset links are valid for 2 hours.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2
if not DEBUG and not TESTING:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# --- end of workspace block ------------------------------------------------------------------

# --- the public API (issue 14): read-only JSON, anonymous, described by OpenAPI ---------------
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "api"]
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,  # ?format= is an unknown parameter like any other
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bildungsatlas API",
    "DESCRIPTION": "Read-only access to the published courses, providers and vocabularies.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CourseKindEnum": "measures.models.Course.Kind",
        "OrganisationKindEnum": "network.models.Organisation.Kind",
        "FundingKindEnum": "measures.models.FundingType.Kind",
    },
}
# --- end of API block ------------------------------------------------------------------------

# --- Import (issue 14): background jobs and uploads --------------------------------------------
# Jobs run on Django's tasks API (the django-tasks backport) with its database backend: a job is
# a row in PostgreSQL, run by `manage.py db_worker` (`make run` starts one), so it survives a
# restart of the web server. IMPORT_MAX_UPLOAD_MB: the largest file an import takes (default 50);
# IMPORT_INLINE_MAX_KB: files up to this size are checked at once, larger ones as a job.
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMPORT_MAX_UPLOAD_MB = int(os.environ.get("IMPORT_MAX_UPLOAD_MB", "50"))
IMPORT_INLINE_MAX_KB = int(os.environ.get("IMPORT_INLINE_MAX_KB", "256"))

# --- Read replicas (issue 15) -----------------------------------------------------------------
# DATABASE_REPLICA_URLS adds the aliases replica_1, replica_2, … (atlas/database.py). Anonymous
# GET and HEAD requests to public pages then read from a replica until they write; everything
# else reads the primary (core/replicas.py, atlas/db_router.py). A replica that fails is left
# alone for DATABASE_REPLICA_RETRY_SECONDS (default 30). The tests run without replicas: their
# data lives in transactions that no replica sees.
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "30"))
read_replicas = {} if TESTING else replica_settings()
if read_replicas:
    DATABASES.update(read_replicas)
    DATABASE_ROUTERS = ["atlas.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
        "atlas.db_router.ReplicaMiddleware",
    )
# --- end of replica block --------------------------------------------------------------------

# --- Export jobs (issue 14): a search's export larger than EXPORT_MAX_ROWS, in the background ---
# Written by the db_worker into EXPORT_JOB_DIR and kept EXPORT_JOB_KEEP_HOURS (the daily jobs
# delete them); at most EXPORT_JOB_MAX_ROWS courses, EXPORT_JOBS_ACTIVE jobs waiting or running
# at once, EXPORT_JOBS_PER_CLIENT started per client in EXPORT_JOBS_WINDOW_SECONDS, and no new
# job while the kept files take EXPORT_JOB_MAX_DISK_MB.
EXPORT_JOB_DIR = os.environ.get("EXPORT_JOB_DIR", str(data_dir() / "exports"))
EXPORT_JOB_MAX_ROWS = int(os.environ.get("EXPORT_JOB_MAX_ROWS", "250000"))
EXPORT_JOB_KEEP_HOURS = int(os.environ.get("EXPORT_JOB_KEEP_HOURS", "24"))
EXPORT_JOBS_ACTIVE = int(os.environ.get("EXPORT_JOBS_ACTIVE", "4"))
EXPORT_JOBS_PER_CLIENT = int(os.environ.get("EXPORT_JOBS_PER_CLIENT", "5"))
EXPORT_JOBS_WINDOW_SECONDS = int(os.environ.get("EXPORT_JOBS_WINDOW_SECONDS", "3600"))
EXPORT_JOB_MAX_DISK_MB = int(os.environ.get("EXPORT_JOB_MAX_DISK_MB", "2048"))
