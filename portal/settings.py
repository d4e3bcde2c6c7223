"""Settings for the Numbers Compliance Portal, read from the environment only.

One file, no per-environment chain: every value comes from an environment variable with a safe
default. ``DJANGO_DEBUG`` is off unless asked; in production (debug off) the secret key must be
real and no default credential is active.
"""

from __future__ import annotations

import os
import secrets
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

TESTING = "pytest" in sys.modules or env.bool("PORTAL_TESTING", default=False)


def _bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: an unknown string is a configuration error, not ``False``."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


DEBUG = _bool("DJANGO_DEBUG", False)

# Commands that only read and write migration files never sign anything or serve a request, so
# a developer (or a pre-commit hook) may run them without the production environment. Anything
# that could serve, sign or send still refuses to start without a real key.
_OFFLINE_COMMANDS = frozenset({"makemigrations", "help"})
OFFLINE_COMMAND = (
    len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in _OFFLINE_COMMANDS
)

_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and OFFLINE_COMMAND:
    import secrets

    SECRET_KEY = secrets.token_urlsafe(50)  # for this process only; nothing it does is kept
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = _INSECURE_KEY_PREFIX + "local-development-only-not-for-production-use-0123456789"
elif not DEBUG and (SECRET_KEY.startswith(_INSECURE_KEY_PREFIX) or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a real secret of at least 50 characters")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

WEB_PORT = env.int("WEB_PORT", default=8000)
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8100)

INSTALLED_APPS = [
    # The admin site is ours: managers only, second factor required (P38).
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "django_filters",
    "django_countries",
    "portal",
    "orders",
    "compliance",
    "notifications",
]

MIDDLEWARE = [
    # First, so every answer (even a redirect from a later middleware) carries X-Request-ID.
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends idle or too-old sessions, then requires a signed-in (and verified) user everywhere
    # but the allowlisted public URLs; HTMX requests get HX-Redirect (P38, P39).
    "portal.middleware.SessionTimeoutMiddleware",
    "portal.middleware.LoginRequiredMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "compliance.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{(VAR_DIR / 'portal.sqlite3').as_posix()}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A kept connection is checked before reuse: a PostgreSQL restart costs no request a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` shares one SQLite file between web, worker and beat: WAL plus immediate
    # transactions and a busy timeout avoid "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite cannot build the two NULLS NOT DISTINCT unique constraints (one draft per target,
    # one reminder per deadline). Both writers are serialised here (IMMEDIATE transactions):
    # drafts by update_or_create, reminders by a look-before-insert made for this case
    # (compliance.deadlines._claim, tested). The warning would only alarm `make run` users.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
    }
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing is deliberately slow; tests create and sign in many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The only URLs an anonymous visitor may reach (URL names, then path prefixes); everything else
# requires a signed-in user (portal.middleware.LoginRequiredMiddleware, tested by walking the
# URL conf).
PUBLIC_URL_NAMES = ["login", "healthz", "webhooks-telnyx", "orders:webhooks-telnyx"]
PUBLIC_PATH_PREFIXES = ["/webhooks/telnyx"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Filled by `manage.py collectstatic` (required before a production start: with DEBUG off the
# pages name their static files through its manifest).
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
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
# In development and tests static files come straight from the app folders (no collectstatic).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Nothing is served from MEDIA_URL: identity documents live in a private root (P32).
MEDIA_ROOT = env.path("PORTAL_PRIVATE_ROOT", default=VAR_DIR / "private")
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- Sessions and cookies (P39) -------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=10 * 3600)  # absolute limit
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# How often the idle clock is written back to the session (seconds): not on every request.
SESSION_ACTIVITY_RESOLUTION = env.int("SESSION_ACTIVITY_RESOLUTION", default=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", not DEBUG)

# --- Security headers (P40) ------------------------------------------------------------------
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _bool("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
    }
}

# --- Login throttling (P37): lock username+IP together, finite cool-off -----------------------
AXES_ENABLED = _bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy set AXES_IPWARE_PROXY_COUNT to the number of trusted proxies; with 0 the
# client address is REMOTE_ADDR and X-Forwarded-For from an untrusted peer is ignored.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Second factor (P38) ---------------------------------------------------------------------
PORTAL_REQUIRE_OTP = _bool("PORTAL_REQUIRE_OTP", not DEBUG)
OTP_TOTP_ISSUER = "Numbers Compliance Portal"
# Each wrong code doubles the wait before the next attempt (1 s, 2 s, 4 s, ...): ten wrong
# codes lock the device for minutes, during which even a correct code is refused.
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
# The admin never shows a device's secret or QR code (whoever saw it could copy the second
# factor); those pages answer 403 instead of looking the device up (an unknown id was a 500).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Health check ----------------------------------------------------------------------------
# Seconds each probe of /healthz (database, Redis, Celery worker ping) may take.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=1.0)

# --- Telnyx ---------------------------------------------------------------------------------
TELNYX_API_BASE = env.str("TELNYX_API_BASE", default=f"http://127.0.0.1:{SANDBOX_PORT}/v2")
TELNYX_API_KEY = env.str("TELNYX_API_KEY", default="")
if not TELNYX_API_KEY and (DEBUG or TESTING):
    # The sandbox accepts this key; a real deployment must set its own.
    TELNYX_API_KEY = "KEYSANDBOX_LOCAL_DEVELOPMENT"
TELNYX_PUBLIC_KEY = env.str("TELNYX_PUBLIC_KEY", default="")
TELNYX_RATE_LIMIT = env.float("TELNYX_RATE_LIMIT", default=20.0)
TELNYX_CONNECT_TIMEOUT = env.float("TELNYX_CONNECT_TIMEOUT", default=5.0)
TELNYX_READ_TIMEOUT = env.float("TELNYX_READ_TIMEOUT", default=30.0)
TELNYX_RETRY_BUDGET_SECONDS = env.float("TELNYX_RETRY_BUDGET_SECONDS", default=60.0)
# Retry shape for idempotent calls (capped exponential backoff with jitter), and how long to
# let Telnyx settle before looking up a creating POST whose answer was lost.
TELNYX_MAX_ATTEMPTS = env.int("TELNYX_MAX_ATTEMPTS", default=8)
TELNYX_BACKOFF_BASE_SECONDS = env.float("TELNYX_BACKOFF_BASE_SECONDS", default=0.5)
TELNYX_BACKOFF_MAX_SECONDS = env.float("TELNYX_BACKOFF_MAX_SECONDS", default=8.0)
TELNYX_RECONCILE_SETTLE_SECONDS = env.float("TELNYX_RECONCILE_SETTLE_SECONDS", default=1.0)
TELNYX_OPENAPI_SPEC = env.str(
    "TELNYX_OPENAPI_SPEC", default=str(BASE_DIR.parent / "shared" / "telnyx" / "openapi.yml")
)

# --- Celery (P17-P24) ------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Redis redelivers an unacked message after the visibility timeout: it must exceed the longest
# task plus any countdown, or a slow task runs twice (P21).
CELERY_MAX_COUNTDOWN = env.int("CELERY_MAX_COUNTDOWN", default=600)
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + CELERY_MAX_COUNTDOWN + 300
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Fail fast when Redis is unreachable instead of hanging a web request that enqueues.
    "socket_connect_timeout": 5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Celery's Redis docs name three places for the same value; CELERY_VISIBILITY_TIMEOUT above is
# the third (``visibility_timeout``).
# One queue per kind of work (portal/queues.py routes tasks by name), named
# "<CELERY_QUEUE_PREFIX>.<kind>": several instances sharing one Redis give each a prefix of its
# own (`make run` derives one from WEB_PORT). Tests use a prefix of their own per session (and per
# xdist worker), so workers of parallel runs never steal each other's messages; the
# celery_worker fixture passes it on.
CELERY_QUEUE_PREFIX = env.str(
    "CELERY_QUEUE_PREFIX",
    default=f"portal-test-{uuid.uuid4().hex[:12]}" if TESTING else "portal",
)
if TESTING:
    os.environ.setdefault("CELERY_QUEUE_PREFIX", CELERY_QUEUE_PREFIX)
CELERY_QUEUES = {
    kind: f"{CELERY_QUEUE_PREFIX}.{kind}"
    for kind in ("default", "placing", "submissions", "webhooks", "sync", "email")
}
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUES["default"]
# A worker started without -Q consumes every queue declared here.
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in CELERY_QUEUES.values()]
CELERY_TASK_ROUTES = ("portal.queues.route_task",)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Installed into the database by beat at start-up (then editable in the admin); each entry
# expires before its next run so a backlog never piles up.
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "portal.tasks.clear_expired_sessions",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# With acks_late, a task running while the broker connection drops is cancelled (and redelivered)
# rather than finishing unacknowledged and running again later.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"

# --- Demo ------------------------------------------------------------------------------------
PORTAL_DEMO_PASSWORD = env.str("PORTAL_DEMO_PASSWORD", default="demo-password")

# Tests keep mail in memory, the test workers (PORTAL_TESTING=1) too: no SMTP server here.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# Where the file backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend) writes.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
# The SMTP server of a production install (reminders); STARTTLS unless told otherwise.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Security events (P44, portal.security_events): always kept, whatever LOG_LEVEL says;
        # they reach the root handlers, where a JSON or SIEM handler can be attached.
        "portal.security": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Orders (owned by the orders app) --------------------------------------------------------
# Periodic sync of non-final orders (the beat entry is created from these on migrate and can
# then be edited in the admin; its `expires` stays below the interval).
ORDERS_SYNC_INTERVAL_SECONDS = env.int("ORDERS_SYNC_INTERVAL_SECONDS", default=300)
# Sub orders just submitted, under review or in exception are re-read this often (seconds) by
# a second, narrower pass, within the same shared rate limit.
ORDERS_SYNC_ACTIVE_SECONDS = env.int("ORDERS_SYNC_ACTIVE_SECONDS", default=30)
# Pages that show statuses (work queue, order, sub order) refresh their status regions this
# often (seconds) while the tab is visible.
PORTAL_LIVE_POLL_SECONDS = env.int("PORTAL_LIVE_POLL_SECONDS", default=15)
# The inbox highlights an unread comment or an open declined requirement older than this.
INBOX_SLA_HOURS = env.int("INBOX_SLA_HOURS", default=24)
ORDERS_SYNC_CONCURRENCY = env.int("ORDERS_SYNC_CONCURRENCY", default=8)
ORDERS_SYNC_BATCH_SIZE = env.int("ORDERS_SYNC_BATCH_SIZE", default=5000)
# Read pending numbers through the per-country list when that takes fewer calls than one GET
# per number (Telnyx documents no paging for that list: switch off if it misbehaves).
ORDERS_SYNC_LIST_NUMBERS = _bool("ORDERS_SYNC_LIST_NUMBERS", True)
# Orders of more numbers than this need a second person's approval (P15); 0 disables the gate.
ORDERS_APPROVAL_THRESHOLD = env.int("ORDERS_APPROVAL_THRESHOLD", default=50)
# Most numbers one person may order per UTC day (P15 anti-automation).
ORDERS_DAILY_NUMBER_CAP = env.int("ORDERS_DAILY_NUMBER_CAP", default=20000)
ORDERS_PLACING_MAX_ATTEMPTS = env.int("ORDERS_PLACING_MAX_ATTEMPTS", default=5)
ORDERS_SELECTION_MAX = env.int("ORDERS_SELECTION_MAX", default=1000)
# Countries where Telnyx refuses an order without a fulfilled requirement group (Telnyx's
# requirement-group guide). Refusals seen at placing add more country/type pairs on their own.
ORDERS_GROUP_MANDATORY_COUNTRIES = env.list(
    "ORDERS_GROUP_MANDATORY_COUNTRIES", default=["CH", "DK", "IT", "NO", "PT", "SE"]
)
# A group offered on the review page must stay valid at least this long (Telnyx vets in days).
ORDERS_GROUP_MIN_VALIDITY_DAYS = env.int("ORDERS_GROUP_MIN_VALIDITY_DAYS", default=7)
ORDERS_WEBHOOK_MAX_BYTES = env.int("ORDERS_WEBHOOK_MAX_BYTES", default=256 * 1024)
ORDERS_LIST_PAGE_SIZE = env.int("ORDERS_LIST_PAGE_SIZE", default=50)
ORDERS_PROGRESS_POLL_SECONDS = env.int("ORDERS_PROGRESS_POLL_SECONDS", default=2)
# The outbox relay publishes again a job nobody took for this long (broker down, message lost);
# a taken job may stay quiet for the task time limit on top (portal/outbox.py, P49).
OUTBOX_RELAY_AFTER_SECONDS = env.int("OUTBOX_RELAY_AFTER_SECONDS", default=120)
# The most numbers one bulk order may request.
ORDERS_BULK_MAX_NUMBERS = env.int("ORDERS_BULK_MAX_NUMBERS", default=10_000)
# Orders at Telnyx created this recently are checked for our references by the reconciler (P50).
ORDERS_RECONCILE_WINDOW_HOURS = env.int("ORDERS_RECONCILE_WINDOW_HOURS", default=48)
# Webhook events still pending this long were never published (Redis down): relay them (P6).
ORDERS_RELAY_EVENTS_AFTER_SECONDS = env.int("ORDERS_RELAY_EVENTS_AFTER_SECONDS", default=10)
# Sub number orders CSV reports (orders/reports.py): kept encrypted in the private root for
# this many days; an unfinished report untouched this long is published again (lost message).
ORDERS_REPORT_ROOT = Path(
    env.str("ORDERS_REPORT_ROOT", default=str(Path(str(MEDIA_ROOT)) / "reports"))
)
ORDERS_REPORT_RETENTION_DAYS = env.int("ORDERS_REPORT_RETENTION_DAYS", default=7)
ORDERS_REPORT_RECHECK_SECONDS = env.int("ORDERS_REPORT_RECHECK_SECONDS", default=30)
CELERY_BEAT_SCHEDULE.update(
    {
        "orders-follow-reports": {
            "task": "orders.tasks.follow_sub_orders_reports",
            "schedule": 60.0,
            "options": {"expires": 45},
        },
        "orders-report-retention": {
            "task": "orders.tasks.purge_expired_sub_orders_reports",
            "schedule": 3600.0,
            "options": {"expires": 1800},
        },
        # The dashboard sums the tallies' ledger; folded often, it stays a few rows per day.
        "orders-compact-number-tallies": {
            "task": "orders.tasks.compact_number_tallies",
            "schedule": 300.0,
            "options": {"expires": 240},
        },
    }
)

# --- Compliance (owned by the compliance app) ------------------------------------------------
# Identity documents: private, encrypted at rest (P26-P33, P45). Keys are Fernet keys, newest
# first; older keys stay listed until the rotation job has re-encrypted everything. Files use a
# streaming key derived from each (compliance/documents/vault.py); fields use Fernet itself.
DOCUMENT_STORAGE_ROOT = Path(
    env.str("DOCUMENT_STORAGE_ROOT", default=str(Path(str(MEDIA_ROOT)) / "documents"))
)
DOCUMENT_ENCRYPTION_KEYS = env.list("DOCUMENT_ENCRYPTION_KEYS", default=[])
if not DOCUMENT_ENCRYPTION_KEYS and OFFLINE_COMMAND:
    import base64
    import secrets

    # A throwaway key: an offline command never reads or writes a document.
    DOCUMENT_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()]
if not DOCUMENT_ENCRYPTION_KEYS:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "DOCUMENT_ENCRYPTION_KEYS is required when DJANGO_DEBUG is false (generate one with: "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    DOCUMENT_ENCRYPTION_KEYS = ["bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1kb2Mta2V5LTA="]
# Blind index of personal values (names) for search: HMAC-SHA256 of normalised words, so a name
# is found without decrypting the table. Changing the key needs `manage.py reindex_search`.
SEARCH_INDEX_KEY = env.str("SEARCH_INDEX_KEY", default="")
if not SEARCH_INDEX_KEY and OFFLINE_COMMAND:
    SEARCH_INDEX_KEY = secrets.token_urlsafe(32)  # an offline command indexes nothing
if not SEARCH_INDEX_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "SEARCH_INDEX_KEY is required when DJANGO_DEBUG is false (generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    SEARCH_INDEX_KEY = "local-development-only-search-index-key"
if len(SEARCH_INDEX_KEY) < 32:
    raise ImproperlyConfigured("SEARCH_INDEX_KEY must be at least 32 characters")
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOCUMENT_MAX_PIXELS = env.int("DOCUMENT_MAX_PIXELS", default=40_000_000)
DOCUMENT_MAX_PDF_PAGES = env.int("DOCUMENT_MAX_PDF_PAGES", default=50)
# Decompression bounds (P28, P52): the content checks run in a child process with this much
# address space and this deadline; a PDF's streams may decode to at most this much in total.
DOCUMENT_CHECK_MEMORY_MB = env.int("DOCUMENT_CHECK_MEMORY_MB", default=768)
DOCUMENT_CHECK_SECONDS = env.float("DOCUMENT_CHECK_SECONDS", default=30.0)
DOCUMENT_MAX_EXPANDED_MB = env.int("DOCUMENT_MAX_EXPANDED_MB", default=512)
# The interpreter of that child: this one, unless the web server embeds Python (uWSGI, mod_wsgi).
DOCUMENT_CHECK_PYTHON = env.str("DOCUMENT_CHECK_PYTHON", default=sys.executable)
DOCUMENT_RETENTION_DAYS = env.int("DOCUMENT_RETENTION_DAYS", default=90)
# Optional ClamAV daemon ("tcp://host:3310" or "unix:///run/clamav/clamd.ctl"); when set, a scan
# error refuses the upload (fails closed).
CLAMAV_ADDRESS = env.str("CLAMAV_ADDRESS", default="")
CLAMAV_TIMEOUT = env.float("CLAMAV_TIMEOUT", default=10.0)
# Without a scanner, `check --deploy` warns (portal.W033) until an operator records that uploads
# are deliberately not scanned.
DOCUMENT_SCANNING_OFF = env.bool("DOCUMENT_SCANNING_OFF", default=False)
FILE_UPLOAD_HANDLERS = [
    "compliance.documents.upload_cap.SizeCapUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    # Larger files stream to an anonymous temporary file (no name, so none is left behind).
    "compliance.documents.upload_cap.AnonymousTemporaryFileUploadHandler",
]
COMPLIANCE_CATALOGUE_REFRESH_SECONDS = env.int(
    "COMPLIANCE_CATALOGUE_REFRESH_SECONDS", default=6 * 3600
)
COMPLIANCE_DEADLINE_SCAN_SECONDS = env.int("COMPLIANCE_DEADLINE_SCAN_SECONDS", default=300)
COMPLIANCE_REMINDER_HOURS = [
    int(h) for h in env.list("COMPLIANCE_REMINDER_HOURS", default=["72", "24"])
]
COMPLIANCE_RETENTION_SCAN_SECONDS = env.int("COMPLIANCE_RETENTION_SCAN_SECONDS", default=24 * 3600)
COMPLIANCE_SUBMISSION_MAX_RETRIES = env.int("COMPLIANCE_SUBMISSION_MAX_RETRIES", default=5)
# Deliveries of one submission before it is stopped as a crash loop (failed, with Retry; P22).
COMPLIANCE_SUBMISSION_MAX_ATTEMPTS = env.int("COMPLIANCE_SUBMISSION_MAX_ATTEMPTS", default=5)
# Requirement groups: how often the sync re-reads them (status, expiry, comments), and how many
# days ahead an expiry is flagged.
COMPLIANCE_GROUP_SYNC_SECONDS = env.int("COMPLIANCE_GROUP_SYNC_SECONDS", default=900)
COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS = env.int("COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS", default=30)
# Absolute base of links in e-mails (reminders, notifications).
COMPLIANCE_PORTAL_URL = env.str("COMPLIANCE_PORTAL_URL", default=f"http://localhost:{WEB_PORT}")
# The dashboard's figures are cached this long (0: computed on every view); the beat task
# re-computes the default range at 80% of it, so it is always served from the cache.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
if DASHBOARD_CACHE_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["compliance-warm-dashboard"] = {
        "task": "compliance.tasks.warm_dashboard",
        "schedule": float(max(1, DASHBOARD_CACHE_SECONDS * 4 // 5)),
        "options": {"expires": max(1, DASHBOARD_CACHE_SECONDS // 2)},
    }
CELERY_BEAT_SCHEDULE.update(
    {
        "compliance-refresh-catalogue": {
            "task": "compliance.tasks.refresh_requirements_catalogue",
            "schedule": float(COMPLIANCE_CATALOGUE_REFRESH_SECONDS),
            "options": {"expires": COMPLIANCE_CATALOGUE_REFRESH_SECONDS // 2},
        },
        "compliance-deadline-reminders": {
            "task": "compliance.tasks.send_deadline_reminders",
            "schedule": float(COMPLIANCE_DEADLINE_SCAN_SECONDS),
            "options": {"expires": COMPLIANCE_DEADLINE_SCAN_SECONDS // 2},
        },
        "compliance-document-retention": {
            "task": "compliance.tasks.purge_expired_documents",
            "schedule": float(COMPLIANCE_RETENTION_SCAN_SECONDS),
            "options": {"expires": COMPLIANCE_RETENTION_SCAN_SECONDS // 2},
        },
        "compliance-sync-requirement-groups": {
            "task": "compliance.tasks.sync_requirement_groups",
            "schedule": float(COMPLIANCE_GROUP_SYNC_SECONDS),
            "options": {"expires": COMPLIANCE_GROUP_SYNC_SECONDS // 2},
        },
    }
)

# --- Notifications ---------------------------------------------------------------------------
# Daily digests go out at the first hourly beat run at or after this hour (UTC).
NOTIFICATIONS_DIGEST_HOUR = env.int("NOTIFICATIONS_DIGEST_HOUR", default=7)
if not 0 <= NOTIFICATIONS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("NOTIFICATIONS_DIGEST_HOUR must be an hour, 0 to 23.")
CELERY_BEAT_SCHEDULE["notifications-daily-digests"] = {
    "task": "notifications.tasks.mail_daily_digests",
    "schedule": 3600.0,
    "options": {"expires": 1800},
}
