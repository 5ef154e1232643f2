"""Settings shared by every environment. Everything that differs between machines comes from the
environment; nothing secret is written here."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import fontpkg_ibm_plex_sans_arabic
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MUQEEM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bootstrap",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "muqeem.core",
    "muqeem.audit",
    "muqeem.accounts",
    "muqeem.establishments",
    "muqeem.residents",
    "muqeem.workflow",
    "muqeem.fees",
    "muqeem.notifications",
    "muqeem.documents",
    "muqeem.eservices.iqama_renewal",
    "muqeem.eservices.exit_reentry",
    "muqeem.eservices.final_exit",
    "muqeem.eservices.iqama_issuance",
    "muqeem.eservices.profession_change",
    "muqeem.eservices.passport_update",
    "muqeem.eservices.service_transfer",
    "muqeem.delivery",
    "muqeem.integrations",
    "muqeem.border",
    "muqeem.api",
    "muqeem.reports",
    "muqeem.alerts",
    "muqeem.bulk",
    "muqeem.webhooks",
    "muqeem.authority",
    "muqeem.agency",
    "muqeem.payments",
    "muqeem.exception_requests",
    "muqeem.oversight",
    "muqeem.web",
    "muqeem.demo",
]

MIDDLEWARE = [
    # First, so that a failure in any later middleware has the id on its page and its log lines.
    "muqeem.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "muqeem.core.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "muqeem.core.middleware.SessionTimeoutMiddleware",
    "muqeem.core.middleware.NoStoreWhenSignedInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "muqeem.web.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL=postgres://... selects PostgreSQL (empty = unset).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'muqeem.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Use-case services own their transactions (STYLE.md 8.1); no ATOMIC_REQUESTS.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL: parameters bound by the server, so psycopg prepares a statement the connection has run
# five times and PostgreSQL stops parsing and planning it on every request (docs/performance.md
# §6). DB_SERVER_SIDE_BINDING=0 turns it off (a pooler in transaction mode older than PgBouncer
# 1.21, which cannot carry prepared statements).
DB_SERVER_SIDE_BINDING = os.environ.get("DB_SERVER_SIDE_BINDING", "0") == "1"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_SERVER_SIDE_BINDING:
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True

# A read replica for reports (PostgreSQL streaming replication): DATABASE_REPLICA_URL adds the
# "replica" alias, and `muqeem.core.db_router` sends the reads of reports to it (the authority's
# statistics, the audit log's exports, the residents exports); every other read and every write,
# the audit records of those reports included, stays on default. Without it reports read default.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
# The alias reports read from; "default" turns the routing off.
REPORTS_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"
DATABASE_ROUTERS = ["muqeem.core.db_router.ReportsReplicaRouter"]

# --- Authentication ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "muqeem.accounts.passwords.BreachedPasswordValidator"},
]
# Passwords known from data breaches are refused when this names the Pwned Passwords SHA-1 list,
# ordered by hash (docs/deploy.md); it is searched on disk, nothing is sent over the network.
BREACHED_PASSWORDS_FILE = os.environ.get("BREACHED_PASSWORDS_FILE", "")
# `manage.py check` warns when the list is not set where it is expected (production).
BREACHED_PASSWORDS_EXPECTED = False
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login lockout (django-axes): per username, so one attacker cannot lock out a whole office IP.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Locking by IP too would lock out every officer behind one office NAT after one colleague's typos;
# per-IP abuse is throttled separately.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only — no
# CDN, no inline script. Inline style attributes stay allowed (server-drawn SVG charts, a few
# layout tweaks). The API's documentation pages ship their own inline bootstrap script, and the
# Django admin is for superusers only: both are left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs/", "/api/v1/redoc/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Re-authentication after 30 minutes without a request and 12 hours after login however active
# (OWASP ASVS 3.3.2), by `muqeem.core.middleware.SessionTimeoutMiddleware`.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- Security code (رمز الأمان) ---------------------------------------------------------------
SECURITY_CODE = {
    "LENGTH": 6,
    "LIFETIME_SECONDS": int(os.environ.get("SECURITY_CODE_LIFETIME_SECONDS", "300")),
    "MAX_ATTEMPTS": 5,
    "MAX_RESENDS": 3,
    "RESEND_WINDOW_SECONDS": 15 * 60,
}

# --- SMS --------------------------------------------------------------------------------------
# console | file | http
SMS_BACKEND = os.environ.get("SMS_BACKEND", "file")
SMS_FILE_PATH = Path(os.environ.get("SMS_FILE_PATH", VAR_DIR / "sms-outbox.jsonl"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_HTTP_SENDER = os.environ.get("SMS_HTTP_SENDER", "MUQEEM")
SMS_HTTP_TIMEOUT_SECONDS = float(os.environ.get("SMS_HTTP_TIMEOUT_SECONDS", "5"))
# Multiplies the waits before an SMS or a webhook delivery is tried again (1, 5, 30 minutes…). Keep 1
# in production; a rehearsal (the reliability run) shortens them with 0.1.
RETRY_DELAY_SCALE = float(os.environ.get("RETRY_DELAY_SCALE", "1"))
# The SMS outbox keeps a message's body and number this many days, then the daily job erases them.
SMS_RETENTION_DAYS = int(os.environ.get("SMS_RETENTION_DAYS", "90"))

# Recovery after a worker dies (`manage.py tasks_recover`, every minute): a bulk run silent this long
# is resumed; any other background task still "running" after this long is recorded as lost.
BULK_STALE_SECONDS = int(os.environ.get("BULK_STALE_SECONDS", "300"))
TASKS_LOST_AFTER_SECONDS = int(os.environ.get("TASKS_LOST_AFTER_SECONDS", "900"))
# A confirmed bulk batch is run by this many tasks at once, each on its own worker (the rows are
# claimed one by one, so they share the batch); more than the workers running gains nothing.
BULK_RUN_TASKS = int(os.environ.get("BULK_RUN_TASKS", "2"))

# --- E-mail ----------------------------------------------------------------------------------
# The demo writes each message to a file in var/mail/; production sets an SMTP backend.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Muqeem <no-reply@muqeem.local>")
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60

# --- Background tasks (Django Tasks API) ------------------------------------------------------
# The database backend (django-tasks-db; worker `manage.py db_worker`) is the default: it needs
# nothing but the database. TASKS_BACKEND=rq puts the queue on Redis (django-tasks-rq over RQ;
# worker `manage.py rqworker --with-scheduler default`, as many processes as wanted), connected
# through RQ_REDIS_URL, or else REDIS_URL. A full class path is accepted too.
TASKS_BACKEND_ALIASES = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS = {
    "default": {
        "BACKEND": TASKS_BACKEND_ALIASES.get(
            os.environ.get("TASKS_BACKEND", "db"), os.environ.get("TASKS_BACKEND", "db")
        ),
        "QUEUES": ["default"],
    }
}
RQ_REDIS_URL = os.environ.get("RQ_REDIS_URL") or os.environ.get("REDIS_URL", "")
RQ_QUEUES = {
    "default": {
        "URL": RQ_REDIS_URL or "redis://127.0.0.1:6379/0",
        # Seconds a job may run before RQ stops it: a bulk batch of 10,000 rows takes minutes.
        "DEFAULT_TIMEOUT": int(os.environ.get("RQ_JOB_TIMEOUT", "3600")),
    }
}
# The worker runs every job through django-tasks-rq's job class (no --job-class to remember).
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
if TASKS["default"]["BACKEND"] == TASKS_BACKEND_ALIASES["rq"]:
    if not RQ_REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (or RQ_REDIS_URL)")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "muqeem.core.api.exception_handler.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per API key (muqeem.api.auth.ApiKeyRateThrottle). The counters live in the default cache,
    # which is Redis when REDIS_URL is set, so every process counts together.
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_RATE_LIMIT", "120/min")},
}

# --- Cache -------------------------------------------------------------------------------------
# Rate-limit counters (API keys, the public verification page) live here. With several processes
# (gunicorn workers, more machines) they must share one cache: set REDIS_URL. Without it each
# process keeps its own counters in memory, which is enough for one process (`make demo`, tests).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "muqeem",
            "TIMEOUT": 300,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The dashboard's figures of an establishment are cached this long (seconds); the establishment's
# own transactions refresh them at once (muqeem.core.cache). 0 turns the cache off.
FIGURES_CACHE_SECONDS = int(os.environ.get("FIGURES_CACHE_SECONDS", "300"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Muqeem API",
    "DESCRIPTION": (
        "Residency e-services for establishments' HR systems: residents, iqama renewal, exit and "
        "re-entry visas, final exit, balance and requests. Authenticate with an API key "
        "(`Authorization: Bearer mqk_…`) created by the main user under Settings → API keys. "
        "Every POST needs an `Idempotency-Key` header. Every error has the same envelope "
        "`{code, message, messages{ar,en}, violations[], fields, request_id}`; branch on `code` "
        "(docs/error-codes.md). Money is in halalas (SAR 1 = 100)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["muqeem.api.schema.only_api_v1"],
    "ENUM_NAME_OVERRIDES": {
        "ResidentStatusEnum": "muqeem.residents.models.ResidentStatus",
        "ResidentHistoryKindEnum": "muqeem.residents.models.ResidentHistoryKind",
        "VisaStatusEnum": "muqeem.eservices.exit_reentry.models.VisaStatus",
        "VisaEventKindEnum": "muqeem.eservices.exit_reentry.models.VisaEventKind",
        "FinalExitStatusEnum": "muqeem.eservices.final_exit.models.FinalExitStatus",
        "FinalExitKindEnum": "muqeem.eservices.final_exit.models.FinalExitKind",
        "RequestStatusEnum": "muqeem.workflow.machine.RequestStatus",
        "JournalKindEnum": "muqeem.fees.models.JournalKind",
        "DeliveryReasonEnum": "muqeem.delivery.models.DeliveryReason",
        "ReprintReasonEnum": ["lost", "damaged"],
    },
    # Swagger UI and Redoc from the drf-spectacular-sidecar wheel: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "muqeem_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "Asia/Riyadh"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (exception request attachments); never served directly, only through views that
# check who may read them.
MEDIA_ROOT = Path(os.environ.get("MUQEEM_MEDIA_ROOT", VAR_DIR / "media"))
# The Arabic font ships in a PyPI package; serve its files as /static/fonts/.
STATICFILES_DIRS = [("fonts", str(fontpkg_ibm_plex_sans_arabic.ROOT / "files"))]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the request id it was written for ("-" outside a request; ASVS 7.1.4).
    "filters": {"request_id": {"()": "muqeem.core.log_context.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Issued documents -------------------------------------------------------------------------
# The address printed in QR codes on documents; the public verification page lives under it.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
