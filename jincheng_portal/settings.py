"""Settings for the 金点子 portal.

Everything that differs between a laptop and production comes from the
environment (docs/configuration.md lists every variable). The defaults run on a fresh checkout:
SQLite in the project folder and Celery's filesystem broker, no servers needed.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from jincheng_portal.env import env_bool, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime state of the embedded defaults (git-ignored)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 (DEBUG only)

# Rotation: the previous keys, comma-separated, still accepted for signatures (sessions,
# password-reset links) until they are dropped (docs/deployment.md, "Rotate secrets").
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "units",
    "suggestions",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics answer first: no HTTPS redirect, no ALLOWED_HOSTS
    # check, no session (jincheng_portal/health.py). Then the latency histogram.
    "jincheng_portal.health.ProbesMiddleware",
    "jincheng_portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jincheng_portal.middleware.StaffSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jincheng_portal.urls"
WSGI_APPLICATION = "jincheng_portal.wsgi.application"

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
                "jincheng_portal.care.care_mode_context",
            ],
        },
    },
]

# Database: SQLite (WAL) in the project folder unless DATABASE_URL says otherwise.
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # WAL lets the web process read while the worker writes; the busy timeout
    # makes concurrent writers wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that drops packets must not hang requests and /readyz for minutes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis when REDIS_URL is set: Celery broker and cache. Otherwise Celery's
# filesystem transport under var/ and a per-process memory cache.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # While Redis is down, cache reads miss and writes are dropped: pages keep
            # working from the database (jincheng_portal/cache.py).
            "BACKEND": "jincheng_portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task whose whole worker died (SIGKILL, OOM, power) is redelivered once it
        # has been unacknowledged this long; a dead pool process is redelivered at once
        # (reject_on_worker_lost). Must stay longer than the longest task (a city report).
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        # Sweep for such messages every 10 s rather than kombu's default ~100 s
        # (interval 10 x throttle 10); one ZRANGE on a small sorted set each time.
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
    CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(CELERY_PROCESSED_DIR),
        "store_processed": False,
        "control_folder": str(CELERY_CONTROL_DIR),
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"

CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks report through the database; only tasks that opt in keep a result.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish must never hang a request: give up fast and let the caller decide.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Tallies and reports have a queue of their own: every new idea queues a near-duplicate
# check, and after a burst of submissions the daily figures must not wait behind
# thousands of them. Workers consume every queue listed here, taking turns.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("tallies"))
CELERY_TASK_ROUTES = {
    name: {"queue": "tallies"}
    for name in (
        "suggestions.tally_campaign",
        "suggestions.tally_active_campaigns",
        "suggestions.report_generate",
        "suggestions.reports_daily",
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Production hardening; all of these are inert while DEBUG is on.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Phone numbers never reach the log files, even from careless code.
    "filters": {"personal_data": {"()": "jincheng_portal.logging.RedactPersonalData"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # django-axes announces itself on every start, management commands included.
        "axes.apps": {"level": "WARNING"},
    },
}

# The campaign's own knobs.
# Public by design: printed by seed_demo and listed in the README;
# seed_demo refuses to run without DEBUG.
PORTAL_DEMO_PASSWORD = "jincheng-demo-2021"  # noqa: S105

# --- screening ---
# Outcome notices to submitters: LogNotifier, SmsNotifier or EmailNotifier of
# suggestions.screening.notifications (the former suggestions.notifications.* still works).
PORTAL_NOTIFIER = env_str("PORTAL_NOTIFIER", "suggestions.screening.notifications.LogNotifier")
PORTAL_SMS_GATEWAY_URL = env_str("PORTAL_SMS_GATEWAY_URL", "")
PORTAL_NOTIFY_EMAIL_TO = env_str("PORTAL_NOTIFY_EMAIL_TO", "")

# --- intake ---
# Submissions: the mobile number is required so the unit can follow up.
INTAKE_PHONE_REQUIRED = env_bool("INTAKE_PHONE_REQUIRED", True)
# Same phone + same content within this window is one submission (first receipt returned).
INTAKE_DUPLICATE_WINDOW_SECONDS = env_int("INTAKE_DUPLICATE_WINDOW_SECONDS", 600)
# Receipt numbers each server process reserves at a time (intake.services._sequence_next).
INTAKE_RECEIPT_BLOCK = max(1, env_int("INTAKE_RECEIPT_BLOCK", 20))
# Rate limits (fixed windows, counters in the cache; they fail open if the cache is down).
INTAKE_RATE_PER_IP_PER_HOUR = env_int("INTAKE_RATE_PER_IP_PER_HOUR", 20)
INTAKE_RATE_PER_PHONE_PER_DAY = env_int("INTAKE_RATE_PER_PHONE_PER_DAY", 5)
INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR = env_int("INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR", 30)
# Behind a reverse proxy, the META key holding the client address (e.g. HTTP_X_REAL_IP).
INTAKE_CLIENT_IP_META = env_str("INTAKE_CLIENT_IP_META", "REMOTE_ADDR")
# Topics and units a citizen may pick (and the form's rendered options) are cached this
# long per process: a unit retired in admin is refused by every node within it.
INTAKE_CHOICES_CACHE_SECONDS = max(0, env_int("INTAKE_CHOICES_CACHE_SECONDS", 60))
# After a failed publish, skip the broker for this long (per process).
INTAKE_BROKER_BACKOFF_SECONDS = env_int("INTAKE_BROKER_BACKOFF_SECONDS", 10)
INTAKE_IDEMPOTENCY_SECONDS = 24 * 3600
# Paper-form imports: refused before parsing when larger, and rows are capped.
INTAKE_IMPORT_MAX_BYTES = env_int("INTAKE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
INTAKE_IMPORT_MAX_ROWS = env_int("INTAKE_IMPORT_MAX_ROWS", 10_000)
# Bench-only views (bench/intake): never on unless asked for.
INTAKE_BENCH_VIEWS = env_bool("INTAKE_BENCH_VIEWS", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "suggestions.intake.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "晋城金点子 API",
    "DESCRIPTION": "Mini-program / partner API for submitting ideas.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Paper imports: the whole file in one transaction (rolled back on any row error).
IMPORT_EXPORT_USE_TRANSACTIONS = True
# --- tallies ---
# A tally counts what was written up to this many seconds before it runs, so that
# every write transaction stamped before its cutoff has committed (see aggregation.py).
TALLY_SETTLE_SECONDS = env_int("TALLY_SETTLE_SECONDS", 30)
# The dashboard's wall-screen mode (?screen=1) reloads its figures this often (seconds).
DASHBOARD_SCREEN_REFRESH_SECONDS = env_int("DASHBOARD_SCREEN_REFRESH_SECONDS", 60)
# Public showcase pages are cached this long (seconds).
SHOWCASE_CACHE_SECONDS = env_int("SHOWCASE_CACHE_SECONDS", 60)

# --- hardening ---
# Content Security Policy (django-csp 4 format). No 'unsafe-inline' anywhere:
# pages load JS and CSS from /static/ only; a page that truly needs inline code
# uses the per-request nonce ({{ request.csp_nonce }}).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True  # no JS reads the token; forms carry it in a hidden field

# Staff logins: django-axes locks the pair (username, client address) after
# AXES_FAILURE_LIMIT failed logins, for AXES_COOLOFF_TIME. Not the username alone:
# anyone could then lock a staff member out with five bad passwords
# (docs/decisions/0001-login-lockout-by-username-and-address.md). Behind a reverse
# proxy set TRUSTED_PROXY_HOPS, or every client would share the proxy's address.
AUTHENTICATION_BACKENDS = [
    "jincheng_portal.auth_backends.PortalAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
AXES_CLIENT_IP_CALLABLE = "jincheng_portal.client_ip.client_ip"
# Cut to the column's length: an over-long username was a DataError (500) on PostgreSQL.
AXES_USERNAME_CALLABLE = "jincheng_portal.auth_backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account_locked.html"
# Lockouts are logged with the staff username (operators must know which account);
# the client address stays masked in the log (it is in the AccessAttempt table).
AXES_SENSITIVE_PARAMETERS = ["ip_address"]

# Staff sessions: 30 minutes idle, 12 hours absolute
# (jincheng_portal.middleware.StaffSessionTimeoutMiddleware).
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_SECONDS

# TOTP second factor (jincheng_portal/admin_site.py): accounts with a device must
# give a code; with ADMIN_OTP_REQUIRED, city administrators must have one.
ADMIN_OTP_REQUIRED = env_bool("ADMIN_OTP_REQUIRED", False)
OTP_TOTP_ISSUER = "晋城金点子"

# Admin lives at a configurable path ("staff-desk/" hides it from scanners).
ADMIN_PATH = env_str("ADMIN_PATH", "admin/")

# 催办: an assignment without a progress update for this many days is reminded daily.
IMPLEMENTATION_STALE_DAYS = max(1, env_int("IMPLEMENTATION_STALE_DAYS", 14))

# Personal data: contact details are anonymised this many days after the
# campaign closes (suggestions.privacy.retention).
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 365)
# Named in the privacy notice: who processes the data and where to ask for deletion.
PRIVACY_DATA_CONTROLLER = env_str("PRIVACY_DATA_CONTROLLER", "晋城市金点子征集活动办公室")
PRIVACY_CONTACT = env_str("PRIVACY_CONTACT", "0356-12345678")

# --- duplicates ---
# Near-duplicate grouping (suggestions/duplicates/). Changing the MinHash shape needs
# `manage.py find_duplicates --campaign SLUG` afterwards: stored band keys depend on it.
DUPLICATES_THRESHOLD = float(env_str("DUPLICATES_THRESHOLD", "0.6"))
DUPLICATES_NUM_PERM = env_int("DUPLICATES_NUM_PERM", 64)
DUPLICATES_BAND_ROWS = env_int("DUPLICATES_BAND_ROWS", 4)
if not 0 < DUPLICATES_THRESHOLD <= 1:
    raise ImproperlyConfigured("DUPLICATES_THRESHOLD must be in (0, 1].")
# Worker processes that normalise the texts during find_duplicates and read the places and
# terms of those that match (a third less wall time with 2 on 2 cores, about 100 MB each;
# 1: all in the command's own process).
DUPLICATES_REBUILD_PROCESSES = env_int("DUPLICATES_REBUILD_PROCESSES", 2)
# Campaign-learned boilerplate (manage.py learn_duplicate_boilerplate, docs/duplicates.md):
# a sentence held by at least this many distinct ideas, and by at least this share of the
# campaign's distinct ideas, is taken out of every idea before comparing.
DUPLICATES_BOILERPLATE_MIN_IDEAS = env_int("DUPLICATES_BOILERPLATE_MIN_IDEAS", 20)
DUPLICATES_BOILERPLATE_SHARE = float(env_str("DUPLICATES_BOILERPLATE_SHARE", "0.005"))
# Learned with it: a 2-gram used by at least this share of the distinct ideas (and the
# minimum above) weighs as a common campaign word (docs/duplicates-quality.md, "Learned
# common 2-grams", for why 10 %).
DUPLICATES_COMMON_SHARE = float(env_str("DUPLICATES_COMMON_SHARE", "0.10"))
# The semantic stage (docs/duplicates-semantic.md): each checked idea's sentence vector
# is stored, and an idea without a lexical match joins the earlier idea whose vector's
# cosine reaches the threshold (places, contrast terms and asks still keep ideas apart).
# The default 1 stores vectors and compares nothing: on the labelled sets no threshold
# groups re-worded ideas without grouping different ideas of the same topic (0.96 is the
# lowest that groups no wrong pair, and it groups nothing either), and comparing costs
# each check more than the lexical stage. Set it (then find_duplicates) once a sample of
# real submissions shows where it belongs. Off: no idea is encoded or compared, and ideas
# checked meanwhile have no vector.
DUPLICATES_SEMANTIC = env_bool("DUPLICATES_SEMANTIC", True)
DUPLICATES_SEMANTIC_THRESHOLD = float(env_str("DUPLICATES_SEMANTIC_THRESHOLD", "1"))
if not 0 < DUPLICATES_SEMANTIC_THRESHOLD <= 1:
    raise ImproperlyConfigured("DUPLICATES_SEMANTIC_THRESHOLD must be in (0, 1].")

# --- operations (jincheng_portal/health.py, jincheng_portal/metrics.py, docs/deployment.md) ---
# /readyz fails while Redis is unreachable. Set to 0 where a load balancer acts on
# /readyz: the portal keeps taking ideas without Redis, and every node failing the
# same shared check at once would take the whole site out.
READYZ_REDIS_REQUIRED = env_bool("READYZ_REDIS_REQUIRED", True)
# /metrics is 404 unless one of these is set; with both, both are required.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])  # addresses or CIDR networks
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_network!r} is no address.") from None
