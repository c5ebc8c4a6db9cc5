"""IDEI settings: one file, driven by environment variables.

With nothing set, the *embedded default* runs: an SQLite file beside manage.py, Celery tasks
executed eagerly inside the web process, and e-mail printed to the console. Set DATABASE_URL,
REDIS_URL and EMAIL_HOST to use PostgreSQL, a real Celery worker and SMTP. Every variable is
listed in README.md. A start-up log line says which mode is running (see idei/apps.py).
"""

import datetime
import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


# -- Typed helpers: a bad value fails loudly at start-up instead of misbehaving later. --------


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# -- Core ------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off. "
        'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Base URL for links in e-mails sent outside a request (reminders, deliveries by the worker).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")

INSTALLED_APPS = [
    "idei.apps.IdeiConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # Django's widget templates for forms that render through TEMPLATES (TemplatesSetting),
    # so that a form can use a widget template of templates/ (cases.filters.CaseFilterForm).
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_filters",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "idei.outbox",
    "idei.inbound",
    "cases",
    "campaigns",
    "letters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "campaigns.two_factor.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "idei.urls"
WSGI_APPLICATION = "idei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text e-mail parts and subjects: the same templates/ folder, no HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# -- Database --------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
# "transaction": DATABASE_URL names a PgBouncer in transaction mode, which gives each
# transaction whatever server connection is free. So nothing may rely on a session: no
# prepared statements (psycopg prepares a query it has run 5 times), no server-side cursors
# (iterator() then fetches in one go), no session SET (see idei/outbox/sending.py); and the
# beat's advisory lock, which is a session, takes DATABASE_DIRECT_URL (PostgreSQL itself).
DATABASE_POOLER = env_str("DATABASE_POOLER")
DATABASE_DIRECT_URL = env_str("DATABASE_DIRECT_URL")
if DATABASE_POOLER not in {"", "transaction"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'transaction', not {DATABASE_POOLER!r}"
    )
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that asks the server only when it spoke.
        DATABASES["default"]["ENGINE"] = "idei.db.postgresql"
    if DATABASE_POOLER == "transaction":
        if not DATABASE_DIRECT_URL:
            raise ImproperlyConfigured(
                "DATABASE_POOLER=transaction needs DATABASE_DIRECT_URL (PostgreSQL itself, for "
                "the beat's lock, which a transaction pooler cannot keep)"
            )
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    if DATABASE_DIRECT_URL:
        DATABASES["direct"] = dj_database_url.parse(DATABASE_DIRECT_URL, conn_max_age=0)
        DATABASES["direct"]["TEST"] = {"MIRROR": "default"}
else:
    # Embedded default. WAL and IMMEDIATE transactions let the dev server and an eager task
    # write without "database is locked" errors.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so that live-server threads in tests get their own connections;
            # one per process, so that two test runs in one checkout never share it.
            "TEST": {"NAME": BASE_DIR / f"db.sqlite3-test-{os.getpid()}"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Celery and cache ------------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "idei",
            # Passed to redis-py's connection pool: a Redis that hangs fails a cache call in
            # 2 s (pages then render without the cache) instead of holding a worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Embedded default: no broker; every task runs inline, at the point it is enqueued.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rendered fragments that depend only on their key (a chart: its figures and the language), so a
# copy in each process is never stale and works with Redis down: {% cache ... using="fragments" %}.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
    # Case cards (under 1 KB), filter forms (10 KB), charts (20 KB): some MB per process.
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Every task is stopped if it runs this long (soft: an exception it may clean up after; hard:
# the worker process is replaced), well within the broker's visibility timeout below. A
# petition of a hundred thousand signatures is the longest task; batches take seconds.
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 20 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A lost worker's unacknowledged task comes back after this long; tasks finish well within it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# django-celery-beat's database scheduler behind an advisory lock: a second beat started by
# mistake stands by instead of doubling periodic work (idei/beat.py). Each run's time is saved
# at once, so that a beat taking over knows what already ran.
CELERY_BEAT_SCHEDULER = "idei.beat:SingleBeatScheduler"
CELERY_BEAT_SYNC_EVERY = 1
CELERY_TIMEZONE = "UTC"

# -- E-mail ----------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IDEI <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The outbox's retries of a temporary failure (4xx, a server that does not answer): the wait
# doubles from the base up to the cap, plus up to half as much again at random, and a message
# is given up once it has waited this long.
OUTBOX_RETRY_BASE_SECONDS = 30
OUTBOX_RETRY_CAP_SECONDS = 6 * 3600
OUTBOX_RETRY_FOR_SECONDS = 3 * 24 * 3600
# Letters to officials: at most this many an hour to one recipient domain (idei/outbox/pacing.py).
OUTBOX_DOMAIN_HOURLY_LIMIT = env_int("OUTBOX_DOMAIN_HOURLY_LIMIT", 300)
if OUTBOX_DOMAIN_HOURLY_LIMIT < 1:
    raise ImproperlyConfigured("OUTBOX_DOMAIN_HOURLY_LIMIT must be 1 or more")
# A campaign aiming for at least this many signatures sends its letters to the officials as a
# daily digest unless its coordinator chooses otherwise: more letters than one hour of pacing
# allows would reach each institution hours late, one by one (campaigns/models.py).
CAMPAIGN_DIGEST_FROM_GOAL = OUTBOX_DOMAIN_HOURLY_LIMIT

# Inbound mail (manage.py receive_mail, or an e-mail service's webhooks through django-anymail):
# bounces come back to bounce+<token>@ this domain. The site's MTA relays it to receive_mail.
INBOUND_EMAIL_DOMAIN = (
    env_str("INBOUND_EMAIL_DOMAIN") or urlsplit(SITE_URL).hostname or "localhost"
).lower()
# A larger message is refused with 552 before anything is stored.
INBOUND_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
# An e-mail service's webhooks (/anymail/<service>/tracking/ and .../inbound/) answer only to
# this "user:password" in HTTP basic authentication. Unset, a random one that nobody knows:
# django-anymail would otherwise accept any request (with a warning).
ANYMAIL_WEBHOOK_SECRET = env_str("ANYMAIL_WEBHOOK_SECRET")
if ANYMAIL_WEBHOOK_SECRET and ":" not in ANYMAIL_WEBHOOK_SECRET:
    raise ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET must be user:password")
ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET or f"disabled:{secrets.token_urlsafe(32)}"}

# -- Metrics ---------------------------------------------------------------------------------

# /metrics answers loopback, these networks (e.g. 10.0.0.0/8), and a request carrying
# "Authorization: Bearer <METRICS_TOKEN>"; everyone else gets 403.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", [])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS must list networks such as 10.0.0.0/8, not {_network!r}"
        ) from None

# -- Auth ------------------------------------------------------------------------------------

# Argon2 first: new passwords use it, and older hashes are rewritten with it at the next
# successful sign-in (Django does so whenever the hasher that checked a password is not first).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every sign-in (the site's and the admin's) before the password is read.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in lockout: after 5 failures in a row for one user name, or from one client network
# (an IPv4 address or an IPv6 /64, read through TRUSTED_PROXY_COUNT like the sign form does),
# further attempts are refused for 15 minutes, counted from the lockout (a locked-out attempt
# does not restart it), with a 429, Retry-After and the time to wait (campaigns/accounts.py).
AXES_FAILURE_LIMIT = 5
# No record of every successful sign-in with its address: the lockout needs only the failures,
# which the nightly retention removes after 30 days (letters/privacy/retention.py).
AXES_DISABLE_ACCESS_LOG = True
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "idei.client_address.client_network"
AXES_USERNAME_CALLABLE = "campaigns.accounts.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "campaigns.accounts.lockout_response"
# Our own log line for each lockout (campaigns/apps.py) replaces axes' per-attempt chatter.
AXES_VERBOSE = False
# Two-factor sign-in (django-otp): the issuer shown in authenticator apps; a wrong code makes
# the next try wait 1, 2, 4... seconds for that device.
OTP_TOTP_ISSUER = "IDEI"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "home"

# -- Internationalisation --------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("ru", _("Russian")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# -- Static files ----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files with personal data (petitions with signers' names, e-mail attachments): never served
# by URL, only through views that check who asks. Keep it outside MEDIA_ROOT.
PRIVATE_FILES_ROOT = Path(env_str("PRIVATE_FILES_ROOT", str(BASE_DIR / "private")))
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

# -- Forms and API ---------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IDEI API",
    "DESCRIPTION": "Read-only data on killed journalists, the state of justice and campaigns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI's colour theme for code examples fails WCAG AA contrast with inline styles
    # that no stylesheet can override: examples are shown as plain text instead.
    "SWAGGER_UI_SETTINGS": {"syntaxHighlight": {"activated": False}},
}

# -- Security --------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Retention (docs/security.md): signers' names and addresses leave a campaign this many days
# after it was closed or delivered; its counts and public figures stay.
SIGNER_DATA_RETENTION_DAYS = env_int("SIGNER_DATA_RETENTION_DAYS", 365)
# Signatures an hour from one e-mail domain, or one client network, that raise a watchlist
# alert (letters/signing/watchlist.py). Domains are set higher: big mail providers are many.
WATCHLIST_DOMAIN_PER_HOUR = env_int("WATCHLIST_DOMAIN_PER_HOUR", 500)
WATCHLIST_NETWORK_PER_HOUR = env_int("WATCHLIST_NETWORK_PER_HOUR", 60)
if min(WATCHLIST_DOMAIN_PER_HOUR, WATCHLIST_NETWORK_PER_HOUR) < 1:
    raise ImproperlyConfigured("WATCHLIST_*_PER_HOUR must be 1 or more")
if SIGNER_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("SIGNER_DATA_RETENTION_DAYS must be 1 or more")
# How many reverse proxies of ours sit in front of the site: the client address for rate
# limits is read from X-Forwarded-For only this many hops deep; with 0 the header is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
# Behind a reverse proxy that terminates TLS, trust its X-Forwarded-Proto header.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The site makes no third-party requests at all: fonts, scripts and images are our own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# -- Logging: JSON lines in production (one event per line), readable text when debugging. ---

LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "idei.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    # Every line loses e-mail and IP addresses on its way out (keyed hashes instead).
    "filters": {"redact_personal_data": {"()": "idei.logging.RedactPersonalData"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.utils.autoreload": {"level": "WARNING"},
    },
}
